import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeFile } from "../../test/helpers/mediaProbe.js";
import { testPatternClip, tonePackets } from "../../test/helpers/fixtures.js";
import { WebmWriter } from "./webmWriter.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-webm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `seconds` of a 640x480 VP8 test pattern at 30 fps and a 440 Hz Opus tone, fed as the mixers would: audio ahead of video. */
function feed(writer: WebmWriter, seconds: number): void {
  const clip = testPatternClip(4, "640x480", "400k");
  const tone = tonePackets(440);
  const videoFrames = Math.round(seconds * 30);
  const audioFrames = Math.round(seconds * 50);
  let a = 0;
  for (let v = 0; v < videoFrames; v++) {
    const t = (v * 1000) / 30;
    // Audio runs up to ~40 ms ahead of video, as it does live (encoding delay), so the writer must interleave.
    while (a < audioFrames && a * 20 <= t + 40) {
      writer.addAudio(a * 20, tone[a % tone.length]);
      a++;
    }
    const frame = clip.frames[v % clip.frames.length];
    writer.addVideo(t, frame.data, frame.isKeyframe);
  }
  while (a < audioFrames) writer.addAudio(a * 20, tone[a++ % tone.length]);
}

describe("WebmWriter", () => {
  it("writes a WebM that real ffmpeg decodes to the right length, with VP8 and Opus", async () => {
    const path = join(dir, "finished.webm");
    const writer = new WebmWriter(path, { width: 640, height: 480, audioChannels: 1 });
    feed(writer, 3);
    writer.finish();
    const report = await decodeFile(path);
    expect(report.hasVideo).toBe(true);
    expect(report.hasAudio).toBe(true);
    expect(report.seconds).toBeGreaterThan(2.9);
    expect(report.seconds).toBeLessThan(3.1);
    expect(report.videoFrames).toBeGreaterThanOrEqual(88);
    // A finished file states its duration and has cues, so a player can seek without reading it all.
    expect(report.stderr).toMatch(/Duration: 00:00:0(2\.9|3\.0)/);
    expect(readFileSync(path).includes(Buffer.from([0x1c, 0x53, 0xbb, 0x6b]))).toBe(true);
  });

  it("leaves a playable file when the process dies without finishing it", async () => {
    const path = join(dir, "crashed.webm");
    const writer = new WebmWriter(path, { width: 640, height: 480, audioChannels: 1 });
    feed(writer, 4);
    const written = writer.bytes;
    writer.abandon(); // what a SIGKILL leaves: no duration, no cues, the open cluster lost
    expect(readFileSync(path).length).toBe(written);
    const report = await decodeFile(path);
    expect(report.hasVideo && report.hasAudio).toBe(true);
    expect(report.seconds).toBeGreaterThan(2.5);
    expect(report.seconds).toBeLessThanOrEqual(4.05);
  });

  it("refuses to overwrite an existing file", () => {
    const path = join(dir, "finished.webm");
    expect(() => new WebmWriter(path, { width: 640, height: 480, audioChannels: 1 })).toThrow(/EEXIST/);
  });
});
