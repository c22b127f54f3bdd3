import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeFile } from "../../test/helpers/mediaProbe.js";
import { FRAME_SAMPLES } from "../audio/opusCodec.js";
import { VoiceRecorder } from "./voiceRecorder.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-voice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tone = new Int16Array(FRAME_SAMPLES).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)));

describe("VoiceRecorder", () => {
  it("gives each participant a file from their first tick to their last, silence where they sent nothing, and a new file for a second presence", async () => {
    const starts: { id: string; file: string; t: number }[] = [];
    const recorder = new VoiceRecorder({
      pathFor: (id, part) => join(dir, `v-${id}-${part}.webm`),
      onStart: (id, file, t) => starts.push({ id, file, t }),
    });
    // a: 0-2 s, with 1 s of nothing in the middle; b: from 1 s to 3 s; a again from 2.5 s.
    for (let t = 0; t < 3000; t += 20) {
      const frames = new Map<string, Int16Array | undefined>();
      if (t < 2000) frames.set("a", t >= 500 && t < 1500 ? undefined : tone);
      if (t >= 1000) frames.set("b", tone);
      if (t >= 2500) frames.set("a", tone);
      recorder.tick(frames, t);
    }
    recorder.finish();
    expect(starts.map((s) => [s.id, s.t])).toEqual([
      ["a", 0],
      ["b", 1000],
      ["a", 2500],
    ]);
    expect(starts[2].file).toBe(join(dir, "v-a-2.webm"));
    const cases: [string, number][] = [
      ["v-a-1.webm", 2],
      ["v-b-1.webm", 2],
      ["v-a-2.webm", 0.5],
    ];
    for (const [file, seconds] of cases) {
      const report = await decodeFile(join(dir, file));
      expect(report.hasAudio && !report.hasVideo, file).toBe(true);
      expect(Math.abs(report.seconds - seconds), `${file}: ${report.seconds} s`).toBeLessThan(0.1);
    }
  });
});
