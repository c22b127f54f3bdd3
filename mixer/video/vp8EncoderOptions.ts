import type { Options } from "../ffmpeg/args.js";

/**
 * The mix's libvpx flags: the cheapest realtime set measured on 2 cores (negative cpu-used, one thread,
 * no lag), error-resilient for receivers with loss, and a fixed keyframe interval because ffmpeg cannot
 * be asked for a keyframe through a pipe. The offline-floor benchmark encodes with these very flags.
 */
export function vp8EncoderOptions({ bitrate, keyframeInterval }: { bitrate: number; keyframeInterval: number }): Options {
  return {
    "c:v": "libvpx",
    deadline: "realtime",
    "cpu-used": -6,
    threads: 1,
    "lag-in-frames": 0,
    "error-resilient": 1,
    "auto-alt-ref": 0,
    "b:v": bitrate,
    maxrate: bitrate,
    minrate: Math.round(bitrate / 4),
    bufsize: Math.round(bitrate / 2),
    g: keyframeInterval,
    keyint_min: keyframeInterval,
  };
}
