import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeFile } from "../../test/helpers/mediaProbe.js";
import { testPatternClip, tonePackets } from "../../test/helpers/fixtures.js";
import { MixRecording } from "./mixRecording.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-mixrec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("MixRecording", () => {
  it("starts its clock at the first keyframe, skipping video before it and keeping audio from then on", async () => {
    const clip = testPatternClip(4, "640x480", "400k");
    const firstKey = clip.frames.findIndex((f, i) => i > 0 && f.isKeyframe);
    expect(firstKey).toBeGreaterThan(0);
    const tone = tonePackets(440);
    const rec = new MixRecording(join(dir, "a.webm"), { width: 640, height: 480, keyframeWaitMs: 10_000 });
    let started = false;
    void rec.started.then(() => (started = true));
    const base = 5000; // performance.now()-like times, as the mixers give them
    const frameMs = 1000 / 30;
    let audioAt = base;
    for (let i = 1; i < 150; i++) {
      const composedAt = base + i * frameMs;
      while (audioAt <= composedAt) {
        rec.audio(tone[Math.round(audioAt / 20) % tone.length], audioAt);
        audioAt += 20;
      }
      rec.video(clip.frames[i % clip.frames.length].data, clip.frames[i % clip.frames.length].isKeyframe, composedAt);
      if (i < firstKey) expect(rec.mediaTime(composedAt)).toBe(0);
    }
    await Promise.resolve();
    expect(started).toBe(true);
    const lastComposed = base + 149 * frameMs;
    const origin = base + firstKey * frameMs;
    expect(rec.mediaTime(lastComposed)).toBe(Math.round(lastComposed - origin));
    rec.finish();
    const report = await decodeFile(join(dir, "a.webm"));
    expect(report.hasVideo && report.hasAudio).toBe(true);
    const expectedSeconds = (lastComposed - origin) / 1000;
    expect(Math.abs(report.seconds - expectedSeconds)).toBeLessThan(0.1);
    expect(report.videoFrames).toBe(150 - firstKey);
  });

  it("starts the clock without a keyframe after the wait, and stops taking frames once finished", async () => {
    const rec = new MixRecording(join(dir, "b.webm"), { width: 320, height: 240, keyframeWaitMs: 50 });
    await rec.started;
    expect(rec.mediaTime(performance.now() + 1000)).toBeGreaterThanOrEqual(1000);
    rec.finish();
    const bytes = rec.bytes;
    rec.audio(tonePackets(440)[0], performance.now());
    expect(rec.bytes).toBe(bytes);
    expect(rec.finished).toBe(true);
  });
});
