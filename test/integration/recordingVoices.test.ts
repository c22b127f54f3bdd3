import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { flashTonePackets, solidColourClip, tonePackets, tonePower } from "../helpers/fixtures.js";
import { audioSamples, decodeFile } from "../helpers/mediaProbe.js";
import { TestClient } from "../helpers/testClient.js";

/**
 * Times (s) where `frequency` turns on: 10 ms windows above a quarter of its loudest, after at least
 * 300 ms below (a tick of silence inside a tone, which a loaded machine's jitter buffer makes, is no onset).
 */
function toneOnsets(pcm: Int16Array, frequency: number): number[] {
  const window = 480;
  const powers: number[] = [];
  for (let at = 0; at + window <= pcm.length; at += window) powers.push(tonePower(pcm.subarray(at, at + window), frequency));
  const threshold = Math.max(...powers) / 4;
  const onsets: number[] = [];
  for (let i = 30; i < powers.length; i++)
    if (powers[i] > threshold && powers.slice(i - 30, i).every((p) => p <= threshold)) onsets.push((i * window) / 48_000);
  return onsets;
}

/**
 * Each voice apart: two senders with distinct tones (one flashing on and off each second, one steady);
 * the recording writes each one's voice to a file of its own. Each file holds only its own tone, and the
 * flashing one's onsets, placed at its timeline `voice` line's `t`, fall within 40 ms of the same onsets
 * in the composite.
 */
describe("a recording with each voice apart", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-voices-"));
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], recordingsDir: dir });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes one file per participant, holding only their tone, ending with their presence, on the composite's clock (within 40 ms)", async () => {
    const flash = new TestClient({
      url: server.url,
      room: "voices",
      name: "지원자",
      clip: solidColourClip("white", 2, "320x240"),
      audioPackets: flashTonePackets(440),
    });
    const steady = new TestClient({
      url: server.url,
      room: "voices",
      name: "Interviewer",
      clip: solidColourClip("blue", 2, "320x240"),
      audioPackets: tonePackets(1320, 6000),
    });
    clients.push(flash, steady);
    await flash.connect();
    await steady.connect();
    const room = server.rooms.get("voices")!;
    await vi.waitFor(() => expect(room.capabilities.mix!.mediaStats.audio.inputsDecoded).toBe(2), { timeout: 10_000 });
    const started = await room.capabilities.recording!.startRecording("api", { voices: true });
    await new Promise((r) => setTimeout(r, 4500));
    // The steady one leaves: their file ends with their presence, the other's goes on.
    await steady.close();
    await new Promise((r) => setTimeout(r, 2000));
    const stopped = await room.capabilities.recording!.stopRecording("api");
    expect(stopped.voices).toHaveLength(2);

    const lines = readFileSync(join(dir, `${started.id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; t: number; file?: string; participant?: { id: string; name: string } });
    const voiceLines = lines.filter((l) => l.kind === "voice");
    expect(voiceLines.map((l) => l.participant!.name).sort()).toEqual(["Interviewer", "지원자"]);
    const flashLine = voiceLines.find((l) => l.participant!.name === "지원자")!;
    const steadyLine = voiceLines.find((l) => l.participant!.name === "Interviewer")!;
    expect(flashLine.file).toBe(`${started.id}.voice-${flash.id}.webm`);

    const composite = await audioSamples(join(dir, stopped.file!));
    const flashVoice = await audioSamples(join(dir, flashLine.file!));
    const steadyVoice = await audioSamples(join(dir, steadyLine.file!));
    const seconds: number[] = [];
    for (const f of [flashLine.file!, steadyLine.file!]) {
      const report = await decodeFile(join(dir, f));
      expect(report.hasAudio && !report.hasVideo, f).toBe(true);
      seconds.push(report.seconds);
    }
    expect(seconds[0] - seconds[1], `voice files last ${seconds.join(" and ")} s`).toBeGreaterThan(1.5);
    // Each file only its own tone: the other's is at least 30 dB down.
    const own = (pcm: Int16Array, mine: number, other: number) => tonePower(pcm, mine) / Math.max(1e-9, tonePower(pcm, other));
    console.log(`own/other tone power: flash ${own(flashVoice, 440, 1320).toFixed(0)}, steady ${own(steadyVoice, 1320, 440).toFixed(0)}`);
    expect(own(flashVoice, 440, 1320)).toBeGreaterThan(1000);
    expect(own(steadyVoice, 1320, 440)).toBeGreaterThan(1000);
    // Both tones are in the composite.
    expect(tonePower(composite, 440)).toBeGreaterThan(1e4);
    expect(tonePower(composite, 1320)).toBeGreaterThan(1e3);

    const inComposite = toneOnsets(composite, 440);
    const inVoice = toneOnsets(flashVoice, 440).map((t) => t + flashLine.t / 1000);
    expect(inVoice.length, `voice onsets ${inVoice}`).toBeGreaterThanOrEqual(2);
    const offsets = inVoice.map((v) =>
      Math.round((v - inComposite.reduce((best, c) => (Math.abs(c - v) < Math.abs(best - v) ? c : best), Infinity)) * 1000),
    );
    console.log(`voice onset minus composite onset, ms: ${offsets.join(", ")} (voice file starts at t=${flashLine.t} ms)`);
    for (const o of offsets) expect(Math.abs(o), `offsets ${offsets.join(", ")} ms`).toBeLessThanOrEqual(40);
  });
});
