/**
 * Lip sync through the MCU: one sender whose picture turns white at the same instant its tone starts
 * (every 2 s), one viewer that decodes the mix and times both onsets on arrival. Reports, per flash,
 * video onset minus audio onset (positive: video later), and the median and worst of them.
 *
 *   npx tsx bench/avSync.ts [flashes=8]
 */
import { startServer } from "../src/server.js";
import { flashClip, flashTonePackets } from "../test/helpers/fixtures.js";
import { PROBE_WIDTH, PROBE_HEIGHT } from "../test/helpers/mixedStreamDecoder.js";
import { TestClient } from "../test/helpers/testClient.js";

const flashes = Number(process.argv[2] ?? 8);
const server = await startServer(
  { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] },
  {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return this;
    },
  },
);
const sender = new TestClient({ url: server.url, room: "sync", name: "Flash", clip: flashClip(), audioPackets: flashTonePackets() });
const viewer = new TestClient({ url: server.url, room: "sync", name: "Watcher", role: "viewer" });

const videoOnsets: number[] = [];
const audioOnsets: number[] = [];
let bright = false;
viewer.decoder.onFrame = (rgb, at) => {
  const i = ((PROBE_HEIGHT >> 1) * PROBE_WIDTH + (PROBE_WIDTH >> 1)) * 3;
  const now = rgb[i] > 128;
  if (now && !bright) videoOnsets.push(at);
  bright = now;
};

await sender.connect();
await viewer.connect();
let loud = false;
let seen = 0;
const audioWatch = setInterval(() => {
  for (; seen < viewer.receivedAudio.length; seen++) {
    const pcm = viewer.receivedAudio[seen];
    let energy = 0;
    for (const s of pcm) energy += s * s;
    const now = Math.sqrt(energy / pcm.length) > 1000;
    // The packet's arrival time, not when this poll noticed it.
    if (now && !loud) audioOnsets.push(viewer.audioArrivals[seen]);
    loud = now;
  }
}, 5);
await new Promise((r) => setTimeout(r, (flashes + 2) * 2000));
clearInterval(audioWatch);

// Pair each video onset with the nearest audio onset.
const offsets = videoOnsets
  .slice(1)
  .map((v) => {
    const a = audioOnsets.reduce((best, x) => (Math.abs(x - v) < Math.abs(best - v) ? x : best), Infinity);
    return Math.round(v - a);
  })
  .filter((d) => Math.abs(d) < 1000);
const sorted = [...offsets].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    flashes: offsets.length,
    offsetsMs: offsets,
    medianMs: sorted[Math.floor(sorted.length / 2)],
    worstMs: sorted.reduce((w, x) => (Math.abs(x) > Math.abs(w) ? x : w), 0),
    note: "video onset minus audio onset at the receiver; positive means video later. Includes ~5 ms of the probe's own decode.",
  }),
);
await sender.close();
await viewer.close();
await server.close();
process.exit(0);
