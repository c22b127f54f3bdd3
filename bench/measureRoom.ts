/**
 * Measures one MCU room under load: starts the server as its own process (src/main.ts through tsx), joins N headless
 * werift senders replaying a pre-encoded 640x480 VP8 clip plus an Opus tone, and one viewer that counts
 * the mixed stream's frames. Reports the CPU of the server process tree (Node + every ffmpeg child, and the
 * media workers with MEDIA_WORKERS set), split into the main thread, its other threads, workers and ffmpeg,
 * read from /proc, and the output frame rate as received.
 *
 *   npx tsx bench/measureRoom.ts [senders=6] [seconds=20] [warmup=5]
 */
import { coresBetween, cpuSplit, sampleTree } from "./procStats.js";
import { startServerProcess } from "./serverProcess.js";
import { testPatternClip } from "../test/helpers/fixtures.js";
import { TestClient } from "../test/helpers/testClient.js";

const senders = Number(process.argv[2] ?? 6);
const seconds = Number(process.argv[3] ?? 20);
const warmup = Number(process.argv[4] ?? 5);
const server = await startServerProcess((process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean));
const url = server.url;

const clip = testPatternClip();
const clients: TestClient[] = [];
for (let i = 0; i < senders; i++) {
  const c = new TestClient({ url, room: "bench", name: `Sender ${i + 1}`, clip, toneHz: 300 + 100 * i, decode: false });
  await c.connect();
  clients.push(c);
}
const viewer = new TestClient({ url, room: "bench", name: "Viewer", role: "viewer", decode: false });
await viewer.connect();
clients.push(viewer);

await new Promise((r) => setTimeout(r, warmup * 1000));
const start = sampleTree(server.pid);
const t0 = performance.now();
const frames0 = viewer.frameArrivals.length;
await new Promise((r) => setTimeout(r, seconds * 1000));
const end = sampleTree(server.pid);
const elapsed = (performance.now() - t0) / 1000;
const frames = viewer.frameArrivals.length - frames0;
const window = viewer.frameArrivals.slice(frames0);
let maxGapMs = 0;
for (let i = 1; i < window.length; i++) maxGapMs = Math.max(maxGapMs, window[i] - window[i - 1]);

const byName = new Map<string, number>();
for (const [pid, cpu] of end.cpuSeconds) {
  const name = end.names.get(pid) ?? "?";
  byName.set(name, (byName.get(name) ?? 0) + (cpu - (start.cpuSeconds.get(pid) ?? 0)) / elapsed);
}
console.log(
  JSON.stringify({
    senders,
    seconds: Number(elapsed.toFixed(1)),
    serverCpuCores: Number(coresBetween(start, end, elapsed).toFixed(3)),
    // Main thread, its other threads, media workers (MEDIA_WORKERS) and ffmpeg children.
    cpuSplit: Object.fromEntries(Object.entries(cpuSplit(start, end, elapsed)).map(([k, v]) => [k, Number(v.toFixed(3))])),
    processes: end.cpuSeconds.size,
    outputFps: Number((frames / elapsed).toFixed(2)),
    maxFrameGapMs: Math.round(maxGapMs),
    cpuByProcess: Object.fromEntries([...byName].map(([k, v]) => [k, Number(v.toFixed(3))])),
  }),
);
await Promise.all(clients.map((c) => c.close()));
await server.stop();
process.exit(0);
