import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mp4HasMedia, mp4HasMediaSync } from "../../src/recordings/mp4Media.js";
import { h264EncoderArgs, tonePackets } from "../../test/helpers/fixtures.js";
import { accessUnits } from "../../test/helpers/h264AccessUnits.js";
import { decodeFile } from "../../test/helpers/mediaProbe.js";
import { resolveFfmpegPath } from "../ffmpeg/ffmpegPath.js";
import { indexMp4 } from "./mp4Index.js";
import { Mp4Writer, parameterSets } from "./mp4Writer.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-mp4-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both ffmpeg builds the project runs: the bundled static one and Debian's (the Docker image's). */
const FFMPEGS = [resolveFfmpegPath(), "/usr/bin/ffmpeg"];

/** 8 s of a 640x480 H264 test pattern as the mix's encoder makes it: Annex-B, SPS/PPS before each IDR (every 2 s). */
const clip = accessUnits(
  execFileSync(
    resolveFfmpegPath(),
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=640x480:r=30",
      "-t",
      "8",
      ...h264EncoderArgs("800k", 60),
      "-f",
      "h264",
      "pipe:1",
    ],
    { maxBuffer: 64 << 20 },
  ),
);
const tone = tonePackets(440);

/** `seconds` fed as the mixers do: audio up to 40 ms ahead of video; `from` seconds already fed. Returns the packets fed. */
function feed(writer: Mp4Writer, seconds: number, from = 0): number {
  let a = Math.round(from * 50);
  const first = a + Math.round(from * 30);
  for (let v = Math.round(from * 30); v < Math.round((from + seconds) * 30); v++) {
    const t = (v * 1000) / 30;
    while (a * 20 <= t + 40) writer.addAudio(a * 20, tone[a++ % tone.length]);
    const frame = clip[v % clip.length];
    writer.addVideo(t, frame.data, frame.isKeyframe);
  }
  return a + Math.round((from + seconds) * 30) - first;
}

/** The file's top-level box types, in order. */
function boxes(path: string): string[] {
  const d = readFileSync(path);
  const out: string[] = [];
  for (let at = 0; at + 8 <= d.length && out.length < 10_000;) {
    const size = d.readUInt32BE(at);
    out.push(d.toString("latin1", at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return out;
}

describe("Mp4Writer", () => {
  it("writes a fragmented MP4 (H264 + Opus) that both ffmpeg builds decode to its length, and indexes it at a clean stop", async () => {
    const path = join(dir, "finished.mp4");
    const writer = new Mp4Writer(path, { width: 640, height: 480, audioChannels: 1 });
    const fed = feed(writer, 6);
    writer.finish();
    const fragmented = boxes(path);
    expect(fragmented.slice(0, 2)).toEqual(["ftyp", "moov"]);
    expect(fragmented.filter((b) => b === "moof").length, fragmented.join(" ")).toBeGreaterThanOrEqual(5);
    expect(fragmented.at(-1)).toBe("mfra");

    const { packets } = await indexMp4(path, join(dir, "finished.indexing.mp4"));
    expect(packets).toBe(fed);
    // Classic: one moov ahead of one mdat, no fragments, the temporary file renamed over the recording.
    expect(boxes(path).filter((b) => b !== "free")).toEqual(["ftyp", "moov", "mdat"]);
    expect(() => statSync(join(dir, "finished.indexing.mp4"))).toThrow();
    for (const ffmpeg of FFMPEGS) {
      const report = await decodeFile(path, ffmpeg);
      expect(report.hasVideo && report.hasAudio, `${ffmpeg}: ${report.stderr.slice(-800)}`).toBe(true);
      expect(report.stderr).toMatch(/Video: h264/);
      expect(report.stderr).toMatch(/Audio: opus/);
      expect(report.videoFrames, ffmpeg).toBe(180);
      expect(report.seconds, ffmpeg).toBeGreaterThan(5.9);
      expect(report.seconds, ffmpeg).toBeLessThan(6.2);
      // The index gives the duration without reading the media.
      expect(report.stderr, ffmpeg).toMatch(/Duration: 00:00:06\.0\d/);
    }
  });

  it("leaves a file that plays up to its last fragment at any moment (what a SIGKILL leaves)", async () => {
    const path = join(dir, "live.mp4");
    const writer = new Mp4Writer(path, { width: 640, height: 480, audioChannels: 1 });
    feed(writer, 5);
    // The writer is still open: the bytes on disk now are exactly what a killed process would leave.
    const snapshot = join(dir, "killed.mp4");
    copyFileSync(path, snapshot);
    feed(writer, 1, 5);
    writer.finish();
    expect(mp4HasMediaSync(snapshot)).toBe(true);
    for (const ffmpeg of FFMPEGS) {
      const report = await decodeFile(snapshot, ffmpeg);
      expect(report.hasVideo && report.hasAudio, ffmpeg).toBe(true);
      expect(report.seconds, `${ffmpeg} decoded ${report.seconds} s of 5`).toBeGreaterThan(3);
      expect(report.seconds).toBeLessThan(5.1);
    }
  });

  it("holds audio until the first keyframe (its SPS/PPS are the header); a file with no keyframe has no media", async () => {
    const path = join(dir, "nokey.mp4");
    const writer = new Mp4Writer(path, { width: 640, height: 480, audioChannels: 1 });
    for (let a = 0; a < 50; a++) writer.addAudio(a * 20, tone[a]);
    writer.addVideo(1000, clip[1].data, false);
    expect(statSync(path).size).toBe(0);
    writer.finish();
    expect(await mp4HasMedia(path)).toBe(false);
    expect(mp4HasMediaSync(path)).toBe(false);

    const held = join(dir, "held.mp4");
    const late = new Mp4Writer(held, { width: 640, height: 480, audioChannels: 1 });
    for (let a = 0; a < 25; a++) late.addAudio(a * 20, tone[a]);
    late.addVideo(0, clip[0].data, true);
    feed(late, 2, 0.5);
    late.finish();
    const report = await decodeFile(held);
    expect(report.hasAudio && report.hasVideo).toBe(true);
    expect(report.seconds).toBeGreaterThan(2.4);
  });

  it("finds the parameter sets of an IDR access unit, and refuses one without them", () => {
    const sets = parameterSets(clip[0].data);
    expect(sets.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 1, 0x67]));
    expect(sets.includes(Buffer.from([0, 0, 0, 1, 0x68]))).toBe(true);
    expect(() => parameterSets(clip[1].data)).toThrow(/no SPS and PPS/);
  });
});

describe("mp4HasMedia", () => {
  it("wants a whole mdat with something in it", async () => {
    const sized = (type: string, body: Buffer) => {
      const b = Buffer.concat([Buffer.alloc(4), Buffer.from(type, "latin1"), body]);
      b.writeUInt32BE(b.length, 0);
      return b;
    };
    const cases: [string, Buffer, boolean][] = [
      ["empty file", Buffer.alloc(0), false],
      ["header only", Buffer.concat([sized("ftyp", Buffer.alloc(16)), sized("moov", Buffer.alloc(100))]), false],
      [
        "a fragment",
        Buffer.concat([
          sized("ftyp", Buffer.alloc(16)),
          sized("moov", Buffer.alloc(100)),
          sized("moof", Buffer.alloc(50)),
          sized("mdat", Buffer.alloc(500)),
        ]),
        true,
      ],
      ["an empty mdat", Buffer.concat([sized("ftyp", Buffer.alloc(16)), sized("mdat", Buffer.alloc(0))]), false],
      ["an mdat cut short", Buffer.concat([sized("ftyp", Buffer.alloc(16)), sized("mdat", Buffer.alloc(500))]).subarray(0, 300), false],
    ];
    for (const [name, bytes, expected] of cases) {
      const path = join(dir, `probe-${name.replace(/ /g, "-")}.mp4`);
      writeFileSync(path, bytes);
      expect(await mp4HasMedia(path), name).toBe(expected);
      expect(mp4HasMediaSync(path), name).toBe(expected);
    }
  });
});
