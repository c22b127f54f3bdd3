import { execFileSync } from "node:child_process";
import { OpusEncoder, FRAME_SAMPLES, OPUS_RATE } from "../../mixer/audio/opusCodec.js";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { IvfReader, isVp8Keyframe } from "../../mixer/video/ivf.js";
import { accessUnits } from "./h264AccessUnits.js";

export interface EncodedClip {
  /** VP8 frames, or H264 access units in Annex-B form. */
  readonly frames: readonly { data: Buffer; isKeyframe: boolean }[];
  /** Default vp8. */
  readonly codec?: "vp8" | "h264";
}

const clipCache = new Map<string, EncodedClip>();

/** A real VP8 clip of one solid colour, encoded by ffmpeg once per colour and kept in memory. */
export function solidColourClip(colour: string, seconds = 2, size = "320x240", keyframeEvery = 15): EncodedClip {
  return encodeClip(`color=c=${colour}:s=${size}:r=30`, seconds, "300k", keyframeEvery);
}

/** libvpx as the tests' senders encode VP8: realtime, no alt-ref frames (a browser's decoder and ours never see one). */
export function vp8EncoderArgs(bitrate: string, keyframeEvery: number): string[] {
  return ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", bitrate, "-g", String(keyframeEvery), "-auto-alt-ref", "0"];
}

/**
 * libx264 as a browser sends H264: constrained baseline, no lookahead, a delimiter before each access
 * unit and SPS/PPS repeated before every keyframe, so any keyframe decodes on its own.
 */
export function h264EncoderArgs(bitrate: string, keyframeEvery: number): string[] {
  return [
    "-c:v",
    "libx264",
    "-profile:v",
    "baseline",
    "-tune",
    "zerolatency",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-b:v",
    bitrate,
    "-x264-params",
    `keyint=${keyframeEvery}:min-keyint=${keyframeEvery}:scenecut=0:aud=1:repeat-headers=1`,
  ];
}

/**
 * The same solid colour as H264 (constrained baseline, as browsers send it), one access unit per frame:
 * x264 marks each with a delimiter, and repeats SPS/PPS before every keyframe so any keyframe decodes.
 */
export function solidColourH264Clip(colour: string, seconds = 2, size = "320x240", keyframeEvery = 15): EncodedClip {
  const key = `h264:${colour}:${seconds}:${size}:${keyframeEvery}`;
  const cached = clipCache.get(key);
  if (cached) return cached;
  const annexB = execFileSync(
    resolveFfmpegPath(),
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      `color=c=${colour}:s=${size}:r=30`,
      "-t",
      String(seconds),
      ...h264EncoderArgs("300k", keyframeEvery),
      "-f",
      "h264",
      "pipe:1",
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const clip: EncodedClip = { frames: accessUnits(annexB), codec: "h264" };
  clipCache.set(key, clip);
  return clip;
}

/** A moving test pattern at camera-like bitrate: what a benchmark sender should cost to decode. */
export function testPatternClip(seconds = 4, size = "640x480", bitrate = "800k"): EncodedClip {
  return encodeClip(`testsrc2=s=${size}:r=30`, seconds, bitrate, 60);
}

/** Two seconds that loop: one second black, then one second white (the sync flash). */
export function flashClip(size = "320x240"): EncodedClip {
  return encodeClip(`color=c=black:s=${size}:r=30:d=1[a];color=c=white:s=${size}:r=30:d=1[b];[a][b]concat=n=2:v=1`, 2, "300k", 15);
}

/** The flash clip's sound: one second of silence, then one second of tone, as 20 ms Opus packets. */
export function flashTonePackets(frequency = 1000): Buffer[] {
  const tone = tonePackets(frequency);
  const silence = tonePackets(frequency, 0);
  return [...silence, ...tone];
}

function encodeClip(source: string, seconds: number, bitrate: string, gop: number): EncodedClip {
  const key = `${source}:${seconds}:${bitrate}:${gop}`;
  const cached = clipCache.get(key);
  if (cached) return cached;
  const ivf = execFileSync(
    resolveFfmpegPath(),
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      source,
      "-t",
      String(seconds),
      ...vp8EncoderArgs(bitrate, gop),
      "-f",
      "ivf",
      "pipe:1",
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const frames = new IvfReader().push(ivf).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) }));
  const clip = { frames };
  clipCache.set(key, clip);
  return clip;
}

/** 20 ms Opus packets of a continuous sine tone (one second's worth, loopable without a click). */
export function tonePackets(frequency: number, amplitude = 8000): Buffer[] {
  const encoder = new OpusEncoder(64_000);
  const packets: Buffer[] = [];
  const periodSamples = OPUS_RATE; // one second: integer cycles for integer Hz, so the loop is seamless
  for (let start = 0; start < periodSamples; start += FRAME_SAMPLES) {
    const pcm = new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * (start + i)) / OPUS_RATE));
    packets.push(encoder.encode(pcm));
  }
  encoder.close();
  return packets;
}

/** Power of one frequency in a block of samples (Goertzel), normalised by length. */
export function tonePower(samples: Int16Array, frequency: number): number {
  const k = (2 * Math.PI * frequency) / OPUS_RATE;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.length * samples.length);
}
