import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RtpPacket } from "werift";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import { resolveFfmpegPath } from "../ffmpeg/ffmpegPath.js";
import { Vp8Packetizer } from "../rtp/vp8Packetizer.js";
import { IvfReader } from "./ivf.js";
import type { VideoDecoderKind } from "./participantDecoder.js";
import { VideoInput } from "./videoInput.js";

/** Two seconds of a solid colour at 30 fps with one keyframe, at its start: after a dropped frame nothing is decodable. */
function clip(): Buffer[] {
  const ivf = execFileSync(resolveFfmpegPath(), [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "color=c=red:s=160x120:r=30",
    "-t",
    "2",
    "-c:v",
    "libvpx",
    "-deadline",
    "realtime",
    "-g",
    "1000",
    "-f",
    "ivf",
    "pipe:1",
  ]);
  return new IvfReader().push(ivf).map((f) => f.data);
}

const STALE_AFTER_MS = 200;

describe.each<VideoDecoderKind>(["ffmpeg", "inprocess"])("video input (real FFmpeg, decoded by %s)", (videoDecoder) => {
  const context = { ...testMediaContext(), videoDecoder };
  afterEach(() => expect(context.processes.size).toBe(0));

  it("holds its last picture while its decoder skips to a keyframe, and goes stale once the sender's frames stop", async () => {
    const input = new VideoInput({ label: "test", context, requestKeyframe: () => {} });
    try {
      await holdsThenGoesStale(input);
      // A decoder in process starts no child; an ffmpeg one, one.
      expect(context.processes.size).toBe(videoDecoder === "inprocess" ? 0 : 1);
    } finally {
      await input.close();
    }
  });
});

async function holdsThenGoesStale(input: VideoInput): Promise<void> {
  input.setTileSize({ width: 160, height: 90 });
  const packetizer = new Vp8Packetizer(96, 1234);
  const frames = clip();
  let sent = 0;
  const send = () => {
    for (const p of packetizer.packetize(frames[sent], sent * 3000)) input.pushRtp(RtpPacket.deSerialize(p));
    sent++;
  };
  send(); // the keyframe
  await vi.waitFor(() => expect(input.stats.decodedFrames).toBeGreaterThan(0), { timeout: 10_000 });
  // Twenty frames at once, faster than any decoder takes them: it drops the rest and waits for a
  // keyframe that this sender (its clip has one, at the start) never sends again.
  for (let i = 0; i < 20; i++) send();
  const decodedBefore = input.stats.decodedFrames;
  // The sender goes on at 30 fps for three times the stale age: its tile freezes on the last picture.
  for (let i = 0; i < 18; i++) {
    await new Promise((r) => setTimeout(r, 33));
    send();
    expect(input.currentFrame(performance.now(), STALE_AFTER_MS)).toBeDefined();
  }
  // Six of the burst went in; the rest, and all eighteen since, were skipped.
  expect(input.stats.decodedFrames - decodedBefore).toBeLessThanOrEqual(6);
  // The sender stops: nothing says the picture is current any more.
  await new Promise((r) => setTimeout(r, STALE_AFTER_MS + 50));
  expect(input.currentFrame(performance.now(), STALE_AFTER_MS)).toBeUndefined();
}
