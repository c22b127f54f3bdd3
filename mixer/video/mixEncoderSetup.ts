import { FF_ENCODER_LIBVPX_VP8, FF_ENCODER_LIBX264, type FFEncoderCodec } from "node-av/constants";
import type { CodecContext } from "node-av/lib";
import type { VideoCodec } from "./videoCodec.js";

export interface MixEncoderSetup {
  /** FFmpeg's name of the encoder. */
  readonly name: "libvpx" | "libx264";
  readonly encoderName: FFEncoderCodec;
  /** The encoder's private options, as ffmpeg's command line would pass them. */
  readonly options: Record<string, string>;
  /** Rate control on the codec context. */
  readonly configure: (context: CodecContext, bitrate: number) => void;
}

/**
 * The mix's encoder flags.
 * - VP8: the cheapest realtime set measured on 2 cores (negative cpu-used, one thread, no lag),
 *   error-resilient for receivers with loss; the same flags as vp8EncoderOptions (the offline floor's).
 * - H264: constrained baseline level 3.1 (profile-level-id 42e01f, what every hardware decoder takes),
 *   ultrafast/zerolatency (no lookahead, no B-frames); a forced keyframe is an IDR, and SPS/PPS go in
 *   band before each one, so a receiver can start at any keyframe.
 */
export function mixEncoderSetup(codec: VideoCodec): MixEncoderSetup {
  if (codec === "h264") {
    return {
      name: "libx264",
      encoderName: FF_ENCODER_LIBX264,
      options: { preset: "ultrafast", tune: "zerolatency", profile: "baseline", level: "3.1", "forced-idr": "1" },
      configure: (c, bitrate) => {
        c.rcMaxRate = BigInt(bitrate);
        c.rcBufferSize = Math.round(bitrate / 2);
      },
    };
  }
  return {
    name: "libvpx",
    encoderName: FF_ENCODER_LIBVPX_VP8,
    options: { deadline: "realtime", "cpu-used": "-6", "lag-in-frames": "0", "error-resilient": "1", "auto-alt-ref": "0" },
    configure: (c, bitrate) => {
      c.rcMaxRate = BigInt(bitrate);
      c.rcMinRate = BigInt(Math.round(bitrate / 4));
      c.rcBufferSize = Math.round(bitrate / 2);
    },
  };
}
