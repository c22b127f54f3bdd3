import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveFfmpegPath } from "../ffmpeg/ffmpegPath.js";
import { h264EncoderArgs, vp8EncoderArgs } from "../../test/helpers/fixtures.js";
import { accessUnits } from "../../test/helpers/h264AccessUnits.js";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import { lumaAt, type I420Frame } from "./i420.js";
import { InProcessVideoDecoder } from "./inProcessDecoder.js";
import { IvfReader, isVp8Keyframe } from "./ivf.js";
import { MAX_FRAMES_IN_FLIGHT, type DecoderFit, type ParticipantDecoder } from "./participantDecoder.js";
import type { VideoCodec } from "./videoCodec.js";
import { VideoDecoder } from "./videoDecoder.js";

type Clip = { data: Buffer; isKeyframe: boolean }[];

/** Real frames from ffmpeg's encoders, as the tests' senders make them: a keyframe every 10 frames. */
function encode(codec: VideoCodec, source: string, frames = 30): Clip {
  const out = execFileSync(resolveFfmpegPath(), [
    "-hide_banner",
    "-loglevel",
    "error",
    ...["-f", "lavfi", "-i", source],
    ...["-frames:v", String(frames)],
    ...(codec === "vp8" ? vp8EncoderArgs("300k", 10) : h264EncoderArgs("300k", 10)),
    ...["-f", codec === "vp8" ? "ivf" : "h264", "pipe:1"],
  ]);
  if (codec === "h264") return accessUnits(out);
  return new IvfReader().push(out).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) }));
}

/** A 4:3 picture whose left quarter is blue and the rest red: centre-cropping to 16:9 keeps both. */
const BLUE_LEFT = "color=c=red:s=320x240:r=30[r];color=c=blue:s=80x240:r=30[b];[r][b]overlay=0:0";
const TILE = { width: 160, height: 90 };

/** Bytes no decoder takes: a VP8 keyframe tag with no start code after it, an H264 IDR slice of noise. */
function garbage(codec: VideoCodec, length = 2000): Buffer {
  const noise = Buffer.alloc(length);
  for (let i = 0; i < length; i++) noise[i] = (i * 7919 + 13) & 0xff;
  if (codec === "vp8") noise[0] &= 0xfe;
  return codec === "h264" ? Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65]), noise]) : noise;
}

/** A keyframe cut short where the decoder can tell: in VP8's first partition (a cut in its last looks whole). */
function truncated(codec: VideoCodec, keyframe: Buffer): Buffer {
  return keyframe.subarray(0, codec === "vp8" ? 64 : keyframe.length >> 1);
}

/** Feeds frames one at a time, each once the previous has had its turn, and collects what comes out. */
async function run(decoder: InProcessVideoDecoder, frames: Clip) {
  const out: I420Frame[] = [];
  let keyframeRequests = 0;
  let exits = 0;
  decoder.on("frame", (f) => out.push(f));
  decoder.on("needKeyframe", () => keyframeRequests++);
  decoder.on("exit", () => exits++);
  for (const [i, f] of frames.entries()) {
    expect(() => decoder.decode({ ...f, timestamp: i * 3000 })).not.toThrow();
    await vi.waitFor(() => expect(decoder.backlog).toBe(0), 5000);
  }
  return { out, keyframeRequests, exits };
}

describe.each<VideoCodec>(["vp8", "h264"])("in-process %s decoder (node-av, real clips)", (codec) => {
  const context = testMediaContext();
  let clip: Clip;
  let wide: Clip;
  const decoders: InProcessVideoDecoder[] = [];
  const decoder = (fit: DecoderFit = "cover") => {
    const d = new InProcessVideoDecoder(codec, TILE, context, fit);
    decoders.push(d);
    return d;
  };

  beforeAll(() => {
    clip = encode(codec, BLUE_LEFT);
    wide = encode(codec, "testsrc2=s=640x360:r=30");
  });
  afterAll(async () => {
    await Promise.all(decoders.map((d) => d.close()));
    // In process: no child was started for any of it.
    expect(context.processes.size).toBe(0);
  });

  it.each<[DecoderFit, number, number]>([
    // Scaled 320x240 -> 160x120 and the middle 90 rows kept: blue from x=0 to 40, red after.
    ["cover", 0, 40],
    // Scaled to 120x90 and centred: 20-pixel bars either side, blue from x=20 to 50.
    ["contain", 20, 50],
  ])("draws the tile (%s): left edge %d, blue up to x=%d", async (fit, left, blueEnd) => {
    const { out } = await run(decoder(fit), clip.slice(0, 5));
    expect(out).toHaveLength(5);
    const [first] = out;
    expect([first.width, first.height, first.data.length]).toEqual([TILE.width, TILE.height, TILE.width * TILE.height * 1.5]);
    // The bars are the canvas's RGB (16,16,16): Y 30 in video range.
    if (left > 0) expect(Math.abs(lumaAt(first, left >> 1, 45) - 30)).toBeLessThanOrEqual(3);
    expect(lumaAt(first, left + 5, 45)).toBeLessThan(60);
    expect(lumaAt(first, blueEnd + 10, 45)).toBeGreaterThan(65);
  });

  it.each<DecoderFit>(["cover", "contain"])("draws the same picture as an ffmpeg child decoder (%s)", async (fit) => {
    const size = { width: 426, height: 360 };
    const first = async (d: ParticipantDecoder): Promise<Buffer> => {
      const picture = new Promise<Buffer>((resolve) => d.once("frame", (f) => resolve(f.data)));
      wide.slice(0, 3).forEach((f, i) => d.decode({ ...f, timestamp: i * 3000 }));
      const data = await picture;
      await d.close();
      return data;
    };
    const child = await first(new VideoDecoder(codec, size, "test", context, fit));
    const own = await first(new InProcessVideoDecoder(codec, size, context, fit));
    expect(own.length).toBe(child.length);
    // The same filters, the same swscale: identical with the bundled ffmpeg; allow a rounding step for another build.
    let difference = 0;
    for (let i = 0; i < own.length; i++) difference += Math.abs(own[i] - child[i]);
    expect(difference / own.length).toBeLessThan(1);
  });

  /** Each case: what is fed, and the index of the keyframe the decoder must be back at. */
  const corruptions: { name: string; frames: () => Clip; recoverAt: number }[] = [
    {
      name: "a garbage frame mid-stream",
      frames: () => [...clip.slice(0, 5), { data: garbage(codec), isKeyframe: false }, ...clip.slice(5)],
      recoverAt: 11,
    },
    { name: "a garbage 'keyframe' first", frames: () => [{ data: garbage(codec), isKeyframe: true }, ...clip], recoverAt: 1 },
    {
      name: "an empty frame",
      frames: () => [...clip.slice(0, 3), { data: Buffer.alloc(0), isKeyframe: false }, ...clip.slice(3)],
      recoverAt: 11,
    },
    {
      name: "a truncated first keyframe",
      frames: () => [{ data: truncated(codec, clip[0].data), isKeyframe: true }, ...clip.slice(1)],
      recoverAt: 10,
    },
    {
      name: "a truncated keyframe mid-stream",
      frames: () => [...clip.slice(0, 10), { data: truncated(codec, clip[10].data), isKeyframe: true }, ...clip.slice(11)],
      recoverAt: 20,
    },
  ];

  it.each(corruptions)("drops and counts $name, asks for a keyframe, and decodes again from it", async ({ frames, recoverAt }) => {
    const fed = frames();
    const d = decoder();
    const { out, keyframeRequests, exits } = await run(d, fed);
    expect(d.framesCorrupt).toBe(1);
    expect(keyframeRequests).toBe(1);
    expect(exits).toBe(0);
    // Every frame from the recovery keyframe on came out, and every picture is the tile's size.
    expect(out.length).toBeGreaterThanOrEqual(fed.length - recoverAt);
    expect(out.every((f) => f.data.length === TILE.width * TILE.height * 1.5)).toBe(true);
    expect(d.waitingForKeyframe).toBe(false);
  });

  it("follows a resolution change (a new SPS for H264) at a keyframe without a dropped frame", async () => {
    const d = decoder();
    const fed = [...clip, ...wide];
    const { out } = await run(d, fed);
    expect(d.framesCorrupt).toBe(0);
    expect(out).toHaveLength(fed.length);
    expect(out.every((f) => f.width === TILE.width && f.height === TILE.height)).toBe(true);
  });

  it("survives a stream of noise without throwing or ending, then decodes a real keyframe", async () => {
    const d = decoder();
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const noise: Clip = Array.from({ length: 200 }, (_, i) => {
      const data = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 3000) }, () => Math.floor(random() * 256)));
      // Some of it starts like real frames: a real frame's first bytes, then noise.
      if (i % 3 === 0) clip[i % clip.length].data.copy(data, 0, 0, Math.min(12, data.length));
      return { data, isKeyframe: random() < 0.5 };
    });
    const { exits } = await run(d, noise);
    expect(exits).toBe(0);
    const { out } = await run(d, clip.slice(0, 5));
    expect(out.length).toBeGreaterThanOrEqual(5);
  });

  it("drops frames rather than queue them once behind, and resumes at a keyframe", async () => {
    const d = decoder();
    const needKeyframe = vi.fn();
    d.on("needKeyframe", needKeyframe);
    await run(d, clip.slice(0, 1));
    // The other frames up to the next keyframe at once, faster than any decoder: MAX_FRAMES_IN_FLIGHT go in.
    clip.slice(1, 10).forEach((f, i) => d.decode({ ...f, timestamp: (i + 1) * 3000 }));
    expect(d.framesIn).toBe(1 + MAX_FRAMES_IN_FLIGHT);
    expect(d.framesSkipped).toBe(9 - MAX_FRAMES_IN_FLIGHT);
    expect(needKeyframe).toHaveBeenCalledTimes(1);
    expect(d.skippingToKeyframe).toBe(true);
    await vi.waitFor(() => expect(d.framesOut).toBe(1 + MAX_FRAMES_IN_FLIGHT), 5000);
    d.decode({ ...clip[10], timestamp: 10 * 3000 });
    expect(d.waitingForKeyframe).toBe(false);
    await vi.waitFor(() => expect(d.framesOut).toBe(2 + MAX_FRAMES_IN_FLIGHT), 5000);
  });

  it("closes while a frame is being decoded, and is closed for good after", async () => {
    const d = decoder();
    clip.slice(0, 5).forEach((f, i) => d.decode({ ...f, timestamp: i * 3000 }));
    const exit = await d.close();
    expect(exit.requested).toBe(true);
    expect(() => d.decode({ ...clip[0], timestamp: 0 })).not.toThrow();
    expect((await d.close()).requested).toBe(true);
  });
});
