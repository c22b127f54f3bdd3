import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveFfmpegPath } from "../ffmpeg/ffmpegPath.js";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import { IvfReader, isVp8Keyframe } from "./ivf.js";
import { lumaAt, type I420Frame } from "./i420.js";
import { MAX_FRAMES_IN_FLIGHT } from "./participantDecoder.js";
import { VideoDecoder } from "./videoDecoder.js";

/** A 4:3 picture whose left quarter is blue and the rest red: centre-cropping to 16:9 keeps both. */
function encode(codec: "libvpx" | "libx264", format: "ivf" | "h264"): Buffer {
  return execFileSync(resolveFfmpegPath(), [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "color=c=red:s=320x240:r=30",
    "-f",
    "lavfi",
    "-i",
    "color=c=blue:s=80x240:r=30",
    "-filter_complex",
    "[0][1]overlay=0:0",
    "-t",
    "0.5",
    "-c:v",
    codec,
    ...(codec === "libx264" ? ["-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"] : ["-deadline", "realtime"]),
    "-f",
    format,
    "pipe:1",
  ]);
}

async function collectFrames(decoder: VideoDecoder, count: number): Promise<I420Frame[]> {
  const frames: I420Frame[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${frames.length} frames decoded`)), 10_000);
    decoder.on("frame", (f) => {
      frames.push(f);
      if (frames.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return frames;
}

describe("video decoder (real ffmpeg)", () => {
  const context = testMediaContext();
  afterEach(() => expect(context.processes.size).toBe(0));

  it("decodes VP8 to the tile size, centre-cropped", async () => {
    const decoder = new VideoDecoder("vp8", { width: 320, height: 180 }, "test", context);
    const frames = new IvfReader().push(encode("libvpx", "ivf"));
    const decoded = collectFrames(decoder, 5);
    frames.forEach((f, i) => decoder.decode({ data: f.data, isKeyframe: isVp8Keyframe(f.data), timestamp: i * 3000 }));
    const [first] = await decoded;
    expect([first.width, first.height, first.data.length]).toEqual([320, 180, 320 * 180 * 1.5]);
    // Blue (Y≈41) on the left, red (Y≈81) elsewhere: scaled 320x240 -> 320x240, cropped to the middle 180 rows.
    expect(lumaAt(first, 20, 90)).toBeLessThan(60);
    expect(lumaAt(first, 200, 90)).toBeGreaterThan(65);
    await decoder.close();
  });

  it("keeps decoding when the sender's stream starts over with earlier timestamps (a reconnect on a fresh peer)", async () => {
    const decoder = new VideoDecoder("vp8", { width: 160, height: 90 }, "test", context);
    const frames = new IvfReader().push(encode("libvpx", "ivf"));
    const decoded = collectFrames(decoder, frames.length * 2 - 2);
    const base = 900_000;
    frames.forEach((f, i) => decoder.decode({ data: f.data, isKeyframe: isVp8Keyframe(f.data), timestamp: base + i * 3000 }));
    // The same clip again, from a keyframe, with timestamps far below the first stream's (IVF's pts would be negative).
    expect(() =>
      frames.forEach((f, i) => decoder.decode({ data: f.data, isKeyframe: isVp8Keyframe(f.data), timestamp: 3000 + i * 3000 })),
    ).not.toThrow();
    const all = await decoded;
    expect(all.length).toBeGreaterThanOrEqual(frames.length * 2 - 2);
    await decoder.close();
  });

  it("decodes H264 (Annex B) the same way", async () => {
    const decoder = new VideoDecoder("h264", { width: 160, height: 90 }, "test", context);
    const decoded = collectFrames(decoder, 3);
    decoder.decode({ data: encode("libx264", "h264"), isKeyframe: true, timestamp: 0 });
    const [first] = await decoded;
    expect([first.width, first.height]).toEqual([160, 90]);
    expect(lumaAt(first, 10, 45)).toBeLessThan(60);
    expect(lumaAt(first, 100, 45)).toBeGreaterThan(65);
    await decoder.close();
  });

  it("does not count what was fed while ffmpeg was starting as being behind once its first picture is out", async () => {
    const decoder = new VideoDecoder("vp8", { width: 160, height: 90 }, "test", context);
    const frames = new IvfReader().push(encode("libvpx", "ivf"));
    const startup = frames.slice(0, 10);
    startup.forEach((f, i) => decoder.decode({ data: f.data, isKeyframe: isVp8Keyframe(f.data), timestamp: i * 3000 }));
    // Fed at the first picture, with the rest of the start-up burst still inside ffmpeg (more than
    // MAX_FRAMES_IN_FLIGHT): a decoder that counted it would drop this frame and wait for a keyframe.
    const first = new Promise<void>((resolve) =>
      decoder.once("frame", () => {
        decoder.decode({ data: frames[startup.length].data, isKeyframe: false, timestamp: startup.length * 3000 });
        resolve();
      }),
    );
    await first;
    expect(startup.length - 1).toBeGreaterThan(MAX_FRAMES_IN_FLIGHT);
    expect(decoder.framesSkipped).toBe(0);
    expect(decoder.framesIn).toBe(startup.length + 1);
    await vi.waitFor(() => expect(decoder.framesOut).toBe(startup.length + 1), { timeout: 10_000 });
    await decoder.close();
  });

  it("drops frames rather than queue them once ffmpeg is behind, and resumes at a keyframe when it has caught up", async () => {
    const decoder = new VideoDecoder("vp8", { width: 160, height: 90 }, "test", context);
    const frames = new IvfReader().push(encode("libvpx", "ivf"));
    const needKeyframe = vi.fn();
    decoder.on("needKeyframe", needKeyframe);
    const first = collectFrames(decoder, 1);
    decoder.decode({ data: frames[0].data, isKeyframe: true, timestamp: 0 });
    await first;
    // The other 14 frames at once, faster than any decoder: only MAX_FRAMES_IN_FLIGHT of them go in.
    frames.slice(1).forEach((f, i) => decoder.decode({ data: f.data, isKeyframe: false, timestamp: (i + 1) * 3000 }));
    expect(decoder.framesIn).toBe(1 + MAX_FRAMES_IN_FLIGHT);
    expect(decoder.framesSkipped).toBe(frames.length - 1 - MAX_FRAMES_IN_FLIGHT);
    expect(needKeyframe).toHaveBeenCalledTimes(1);
    expect(decoder.waitingForKeyframe).toBe(true);
    await vi.waitFor(() => expect(decoder.framesOut).toBe(1 + MAX_FRAMES_IN_FLIGHT), { timeout: 10_000 });
    const resumed = collectFrames(decoder, 1);
    decoder.decode({ data: frames[0].data, isKeyframe: true, timestamp: frames.length * 3000 });
    await resumed;
    expect(decoder.waitingForKeyframe).toBe(false);
    await decoder.close();
  });
});
