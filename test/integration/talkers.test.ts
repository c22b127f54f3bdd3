import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { tonePackets, tonePower } from "../helpers/fixtures.js";
import { TestClient } from "../helpers/testClient.js";

// RFC 6464 magnitudes (-dBov): an 8000-peak tone is about -15 dBov RMS; 127 is digital silence.
const TALKING = 15;
const SILENT = 127;
const TONES = [440, 660, 1000, 1400, 1800, 2200];

/** Polls an asynchronous `check` until it holds; fails naming `what` after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The /metrics samples named `name` (no labels: these are summed over rooms). */
async function gauge(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line.split(" ")[1]);
}

describe("talkers-only audio with six werift senders", () => {
  let server: RunningServer;
  const senders: TestClient[] = [];
  let viewer: TestClient;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, silentLogger);
    // Sound only (no clip, so no video and no decoders): the first two talk, the other four send digital
    // silence marked silent, as a browser's muted-by-nobody quiet microphone does.
    for (let i = 0; i < 6; i++) {
      const talking = i < 2;
      const c = new TestClient({
        url: server.url,
        room: "talkers",
        name: `S${i + 1}`,
        toneHz: TONES[i],
        toneAmplitude: talking ? 8000 : 0,
        audioLevel: talking ? TALKING : SILENT,
        decode: false,
      });
      senders.push(c);
      await c.connect();
    }
    viewer = new TestClient({ url: server.url, room: "talkers", name: "Viewer", role: "viewer", decode: false });
    await viewer.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...senders, viewer].map((c) => c?.close()));
    await server?.close();
  });

  /** What `listener` heard in the last second, tone by tone: true where the tone stands out. */
  function hears(listener: TestClient): boolean[] {
    const heard = listener.recentAudio(1000);
    expect(heard.length, "a second of audio arrived").toBeGreaterThan(40_000);
    return TONES.map((hz) => tonePower(heard, hz) > 1000);
  }

  it("decodes and mixes the two talkers only, with one shared encoding for the five who are not talking", async () => {
    await eventually(async () => (await gauge(server, "tessera_audio_inputs_with_levels")) === 6, 10_000, "all six send their level");
    // The counter is read while the room runs, several times: each reading must show two.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 3; i++) {
      expect(await gauge(server, "tessera_audio_inputs_decoded")).toBe(2);
      expect(await gauge(server, "tessera_audio_inputs_mixed")).toBe(2);
      // The everyone-mix (S3-S6 and the viewer), S1's mix-minus and S2's.
      expect(await gauge(server, "tessera_audio_encodings")).toBe(3);
      await new Promise((r) => setTimeout(r, 300));
    }
    const [s1, s2, ...silent] = senders;
    expect(hears(s1), "S1 hears S2, not themselves").toEqual([false, true, false, false, false, false]);
    expect(hears(s2), "S2 hears S1, not themselves").toEqual([true, false, false, false, false, false]);
    for (const c of [...silent, viewer])
      expect(hears(c), "everyone else hears both talkers").toEqual([true, true, false, false, false, false]);
  });

  it("a silent sender who starts talking is decoded, mixed and heard by the others at once, never by themselves", async () => {
    const s3 = senders[2];
    const listeners = [senders[0], senders[3], viewer];
    const from = listeners.map((c) => c.receivedAudio.length);
    const startedAt = performance.now();
    s3.setAudio(tonePackets(1000), TALKING);
    await eventually(async () => (await gauge(server, "tessera_audio_inputs_mixed")) === 3, 5_000, "S3 is mixed");
    await new Promise((r) => setTimeout(r, 1500));
    expect(await gauge(server, "tessera_audio_inputs_decoded")).toBe(3);
    expect(await gauge(server, "tessera_audio_encodings")).toBe(4);
    expect(hears(s3), "S3 hears S1 and S2, not themselves").toEqual([true, true, false, false, false, false]);
    for (const c of listeners) expect(hears(c)[2], `${c.id} hears S3`).toBe(true);
    // When S3 was first heard, counted from the moment it started in packets of the listener's stream (each
    // 20 ms of the mixer's clock) and in arrival time. The 100 ms bound itself is proven by the mixer's unit
    // test on a virtual clock (40 ms: the input's jitter prefill). Here the server and seven werift clients
    // share one process on a shared machine: at a load average of 15, S3's first loud packet took 72 ms to
    // get from its client to the server, which mixed it 9 ms after it arrived, and the listeners heard it
    // after 80-160 ms of stream. 500 ms still fails a mixer that admits a talker only when the active
    // speaker's rules would (a 2 s hold), or that loses the first half second while a decoder comes back.
    const found = listeners.map((c, i) => {
      // A whole frame at a quarter of the tone's power: the other tones leak about 40 000 into a 20 ms block.
      const first = c.receivedAudio.findIndex((frame, k) => k >= from[i] && tonePower(frame, 1000) > 4e6);
      expect(first, `${c.id} decoded S3's tone in one frame`).toBeGreaterThan(0);
      // receivedAudio and audioArrivals grow together: one decoded frame per packet.
      return { streamMs: (first - from[i]) * 20, arrivalMs: c.audioArrivals[first] - startedAt };
    });
    console.log(`S3 first heard after ${found.map((f) => `${f.streamMs} ms of stream (arrived ${f.arrivalMs.toFixed(0)} ms)`).join(", ")}`);
    for (const f of found) expect(f.streamMs).toBeLessThan(500);
  });
});
