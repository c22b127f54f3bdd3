import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { flashClip, flashTonePackets } from "../helpers/fixtures.js";
import { audioSamples, decodeFile, videoLuma } from "../helpers/mediaProbe.js";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { TestClient } from "../helpers/testClient.js";

const TOKEN = "mp4-test-token";

/** The file's top-level box types, in order. */
function topBoxes(path: string): string[] {
  const d = readFileSync(path);
  const out: string[] = [];
  for (let at = 0; at + 8 <= d.length && out.length < 100_000;) {
    const size = d.readUInt32BE(at);
    out.push(d.toString("latin1", at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return out;
}

/** Onsets (seconds) of the flash tile turning white and of the tone starting, as recordingSync.test.ts finds them. */
async function onsets(path: string): Promise<{ video: number[]; audio: number[] }> {
  const frames = await videoLuma(path, "320:180:160:270");
  const pcm = await audioSamples(path);
  const lumas = frames.map((f) => f.luma);
  const threshold = (Math.min(...lumas) + Math.max(...lumas)) / 2;
  const video: number[] = [];
  for (let i = 1; i < frames.length; i++) if (frames[i].luma > threshold && frames[i - 1].luma <= threshold) video.push(frames[i].t);
  const audio: number[] = [];
  let loud = false;
  for (let start = 0; start + 240 <= pcm.length; start += 240) {
    let energy = 0;
    for (let i = start; i < start + 240; i++) energy += pcm[i] * pcm[i];
    const now = Math.sqrt(energy / 240) > 1000;
    if (now && !loud) audio.push(start / 48_000);
    loud = now;
  }
  return { video, audio };
}

/**
 * An MP4 recording of a real room through the control API: H264 from the mix's H264 encoder (started for
 * the recording: the only receiver takes VP8), Opus from the everyone-mix; fragmented while it runs, then
 * rewritten with a classic index. Both ffmpeg builds decode it; its picture and sound keep the lip-sync
 * test's bound.
 */
describe("an MP4 recording", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/api${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, ...init.headers } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-recmp4-"));
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, recordingsDir: dir });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is refused with a clear error for a format the server does not write", async () => {
    const res = await api("/rooms/nowhere/recording/start", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ format: "avi" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "bad-request", message: "format must be one of webm, mp4" });
  });

  it("is H264 + Opus, fragmented while it runs, indexed (moov first) after the stop, decoded by both ffmpeg builds, in sync", async () => {
    const flash = new TestClient({ url: server.url, room: "mp4", name: "Flash", clip: flashClip(), audioPackets: flashTonePackets() });
    clients.push(flash);
    await flash.connect();
    const room = server.rooms.get("mp4")!;
    await vi.waitFor(() => expect(room.capabilities.mix!.mediaStats.video.framesComposed).toBeGreaterThan(0), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const startRes = await api("/rooms/mp4/recording/start", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ format: "mp4" }),
    });
    expect(startRes.status).toBe(201);
    const started = (await startRes.json()) as RecordingInfo;
    expect(started).toMatchObject({ format: "mp4", file: `${started.id}.mp4` });
    const path = join(dir, `${started.id}.mp4`);
    await new Promise((r) => setTimeout(r, 3000));
    // While it runs: an empty moov, then fragments.
    const live = topBoxes(path);
    expect(live.slice(0, 2)).toEqual(["ftyp", "moov"]);
    expect(live).toContain("moof");
    await new Promise((r) => setTimeout(r, 4000));
    const stopRes = await api("/rooms/mp4/recording/stop", { method: "POST" });
    expect(stopRes.status).toBe(200);
    const stopped = (await stopRes.json()) as RecordingInfo;
    const decodeLagMs = Math.round(room.capabilities.mix!.mediaStats.video.decodeLagMaxMs);

    // The rewrite runs after the stop, off the media path: one moov ahead of one mdat once it is done.
    await eventually(() => !topBoxes(path).includes("moof"), 20_000, "the MP4 is rewritten with a classic index");
    expect(topBoxes(path).filter((b) => b !== "free")).toEqual(["ftyp", "moov", "mdat"]);

    for (const ffmpeg of [resolveFfmpegPath(), "/usr/bin/ffmpeg"]) {
      const report = await decodeFile(path, ffmpeg);
      expect(report.stderr, ffmpeg).toMatch(/Video: h264/);
      expect(report.stderr, ffmpeg).toMatch(/Audio: opus/);
      expect(
        Math.abs(report.seconds - stopped.durationMs! / 1000),
        `${ffmpeg}: decoded ${report.seconds} s of ${stopped.durationMs} ms`,
      ).toBeLessThan(0.3);
      expect(report.videoFrames, ffmpeg).toBeGreaterThan((stopped.durationMs! / 1000) * 20);
    }

    const { video, audio } = await onsets(path);
    expect(video.length, `video onsets ${video}`).toBeGreaterThanOrEqual(3);
    const offsets = video.map((v) =>
      Math.round((v - audio.reduce((best, a) => (Math.abs(a - v) < Math.abs(best - v) ? a : best), Infinity)) * 1000),
    );
    console.log(`MP4: video onset minus audio onset, ms: ${offsets.join(", ")}; longest decode ${decodeLagMs} ms`);
    for (const offset of offsets) {
      expect(offset, `offsets ${offsets.join(", ")} ms`).toBeGreaterThan(-80);
      expect(offset, `offsets ${offsets.join(", ")} ms`).toBeLessThan(80 + decodeLagMs);
    }

    // Listed and served as MP4.
    const served = await api(`/recordings/${started.id}`);
    expect(served.headers.get("content-type")).toBe("video/mp4");
    expect((await served.arrayBuffer()).byteLength).toBe(readFileSync(path).length);
    const list = (await (await api("/recordings")).json()) as { recordings: RecordingInfo[] };
    expect(list.recordings.find((r) => r.id === started.id)).toMatchObject({
      format: "mp4",
      file: `${started.id}.mp4`,
      stoppedAt: stopped.stoppedAt,
    });
  });
});
