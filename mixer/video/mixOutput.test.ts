import { afterEach, describe, expect, it } from "vitest";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import { createI420 } from "./i420.js";
import { MixOutput } from "./mixOutput.js";

const WIDTH = 320;
const HEIGHT = 180;
const FRAME_MS = 1000 / 30;

let output: MixOutput | undefined;
afterEach(async () => {
  await output?.close();
  output = undefined;
});

/** Each frame's RTP timestamp (90 kHz) and the wall-clock time its first packet left (performance.now). */
async function sendFrames(lateness: readonly number[]): Promise<{ timestamp: number; sentAt: number }[]> {
  const clockStart = performance.now();
  output = new MixOutput({
    codec: "vp8",
    settings: { width: WIDTH, height: HEIGHT, fps: 30, bitrate: 300_000 },
    keyframeIntervalMs: 10_000,
    maxEncoderBacklog: 3,
    context: testMediaContext(),
    clockStart,
  });
  const frames: { timestamp: number; sentAt: number }[] = [];
  output.on("rtp", (packet) => {
    const timestamp = packet.readUInt32BE(4);
    if (frames.at(-1)?.timestamp !== timestamp) frames.push({ timestamp, sentAt: performance.now() });
  });
  const canvas = createI420(WIDTH, HEIGHT);
  for (let i = 0; i < lateness.length; i++) {
    const before = frames.length;
    // The compositor's tick for frame i is due at clockStart + i frames; it runs `lateness[i]` ms late (or
    // later, on a busy machine) and hands the encoder the time it was due, as the Ticker does.
    const due = clockStart + i * FRAME_MS;
    const wait = due + lateness[i] - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    output.encode(canvas.data, due);
    // One frame at a time, bounded: each is out before the next is composed.
    for (let polls = 0; frames.length === before && polls < 500; polls++) await new Promise((r) => setTimeout(r, 10));
    expect(frames.length, `frame ${i} was not sent within 5 s`).toBe(before + 1);
  }
  return frames;
}

describe("MixOutput's RTP clock", () => {
  it.each([
    { name: "ticks on time", lateness: [0, 0, 0, 0, 0, 0] },
    // A busy machine: ticks 10-120 ms late, in no order, the schedule's times handed to encode().
    { name: "ticks late by varying amounts", lateness: [0, 120, 10, 90, 0, 60] },
  ])("follows the wall clock at which each frame leaves ($name)", async ({ lateness }) => {
    const frames = await sendFrames(lateness);
    for (let i = 1; i < frames.length; i++) {
      const rtpMs = ((frames[i].timestamp - frames[i - 1].timestamp) >>> 0) / 90;
      const wallMs = frames[i].sentAt - frames[i - 1].sentAt;
      // The receiver's jitter buffer reads any difference here as network jitter and waits for it.
      expect(
        Math.abs(rtpMs - wallMs),
        `frame ${i}: ${rtpMs.toFixed(1)} ms of RTP time against ${wallMs.toFixed(1)} ms of wall clock`,
      ).toBeLessThan(2);
    }
  });
});
