import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { flashClip, flashTonePackets } from "../helpers/fixtures.js";
import { audioSamples, videoLuma } from "../helpers/mediaProbe.js";
import { TestClient } from "../helpers/testClient.js";

/**
 * Lip sync inside the file: a sender whose picture turns white at the instant its tone starts (every 2 s)
 * is recorded; each white onset in the decoded video must have a tone onset next to it in the decoded audio.
 * What this proves is the recording's timeline: both halves on the mixers' clocks, so a join, a re-layout or
 * a stall shifts neither against the other. A picture can still come late for a reason outside the
 * timeline: a decoder starved of CPU (on a loaded 2-core machine a tile's pictures were seen 100-800 ms
 * inside ffmpeg). So the picture may trail its sound by 80 ms plus the longest the server measured a
 * running decoder keeping a picture; on a quiet machine that is a few tens of ms.
 */
describe("a recording's audio and video", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-recsync-"));
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], recordingsDir: dir });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stay in sync through a join (flash onsets within 80 ms of tone onsets)", async () => {
    const flash = new TestClient({ url: server.url, room: "sync", name: "Flash", clip: flashClip(), audioPackets: flashTonePackets() });
    clients.push(flash);
    await flash.connect();
    const room = server.rooms.get("sync")!;
    // The recording starts a second after the mix does, time for the flash tile's decoder to start: a
    // decoder's start-up is not the timeline's.
    await vi.waitFor(() => expect(room.capabilities.mix!.mediaStats.video.framesComposed).toBeGreaterThan(0), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const started = await room.capabilities.recording!.startRecording("api");
    await new Promise((r) => setTimeout(r, 3000));
    // A join mid-recording re-lays the grid; the flash tile moves but stays on the left half.
    const other = new TestClient({ url: server.url, room: "sync", name: "Quiet", colour: "black" });
    clients.push(other);
    await other.connect();
    await new Promise((r) => setTimeout(r, 5000));
    await room.capabilities.recording!.stopRecording("api");
    const decodeLagMs = Math.round(room.capabilities.mix!.mediaStats.video.decodeLagMaxMs);

    const path = join(dir, `${started.id}.webm`);
    // A region inside the flash sender's tile both alone (the whole canvas) and beside another (the left half).
    const frames = await videoLuma(path, "320:180:160:270");
    const pcm = await audioSamples(path);
    const lumas = frames.map((f) => f.luma);
    const threshold = (Math.min(...lumas) + Math.max(...lumas)) / 2;
    const videoOnsets: number[] = [];
    for (let i = 1; i < frames.length; i++)
      if (frames[i].luma > threshold && frames[i - 1].luma <= threshold) videoOnsets.push(frames[i].t);
    const audioOnsets: number[] = [];
    let loud = false;
    for (let start = 0; start + 240 <= pcm.length; start += 240) {
      let energy = 0;
      for (let i = start; i < start + 240; i++) energy += pcm[i] * pcm[i];
      const now = Math.sqrt(energy / 240) > 1000;
      if (now && !loud) audioOnsets.push(start / 48_000);
      loud = now;
    }
    expect(videoOnsets.length, `video onsets ${videoOnsets}`).toBeGreaterThanOrEqual(3);
    const offsets = videoOnsets
      .map((v) => audioOnsets.reduce((best, a) => (Math.abs(a - v) < Math.abs(best - v) ? a : best), Infinity) - v)
      .map((d) => Math.round(-d * 1000));
    console.log(`video onset minus audio onset in the file, ms: ${offsets.join(", ")}; longest decode ${decodeLagMs} ms`);
    const why = `offsets ${offsets.join(", ")} ms, longest decode ${decodeLagMs} ms`;
    for (const offset of offsets) {
      expect(offset, why).toBeGreaterThan(-80);
      expect(offset, why).toBeLessThan(80 + decodeLagMs);
    }
  });
});
