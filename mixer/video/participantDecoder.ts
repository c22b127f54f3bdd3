import type { EventEmitter } from "node:events";
import type { FfmpegExit } from "../ffmpeg/ffmpegProcess.js";
import type { Size } from "../layout/gridLayout.js";
import type { EncodedFrame } from "./frameAssembler.js";
import type { I420Frame } from "./i420.js";
import type { VideoCodec } from "./videoCodec.js";

/**
 * Where participants' video is decoded: `inprocess` through FFmpeg's libraries in this process (node-av, on
 * libuv's thread pool), or `ffmpeg`, one ffmpeg child per participant fed through a pipe.
 */
export type VideoDecoderKind = "inprocess" | "ffmpeg";

export const VIDEO_DECODER_KINDS: readonly VideoDecoderKind[] = ["inprocess", "ffmpeg"];

/**
 * VIDEO_DECODER when set, else `ffmpeg`: a crash inside FFmpeg then ends one child, not the server (see
 * docs/decisions.md, "Decoding in process"). Read here, as FFMPEG_PATH is, so a test run picks it up too.
 */
export function resolveVideoDecoder(value: string | undefined = process.env.VIDEO_DECODER): VideoDecoderKind {
  if (!value) return "ffmpeg";
  const kind = VIDEO_DECODER_KINDS.find((k) => k === value);
  if (!kind) throw new Error(`VIDEO_DECODER "${value.slice(0, 50)}" is not one of ${VIDEO_DECODER_KINDS.join(", ")}`);
  return kind;
}

/** `cover`: scaled to fill the tile and centre-cropped (a face); `contain`: scaled to fit whole and letterboxed (a screen). */
export type DecoderFit = "cover" | "contain";

/**
 * Frames fed and not yet decoded beyond which a decoder is behind (200 ms at 30 fps): every frame queued
 * is shown that much late, and a recording keeps the picture that far behind its sound.
 */
export const MAX_FRAMES_IN_FLIGHT = 6;

export type ParticipantDecoderEvents = {
  /** A picture at the tile's size, in a buffer of its own (the compositor keeps it while it is the newest). */
  frame: [frame: I420Frame];
  /** Frames had to be dropped (behind, or undecodable): feed it a keyframe next. */
  needKeyframe: [];
  /** The decoder is finished: `requested` false means it died on its own (the input starts another). */
  exit: [exit: FfmpegExit];
};

/**
 * What VideoInput sees of one participant's decoder, whichever kind: encoded frames in, tile-sized I420
 * pictures out. The output size is fixed for the decoder's life; the sender's resolution may change freely.
 */
export interface ParticipantDecoder extends Pick<EventEmitter<ParticipantDecoderEvents>, "on" | "once" | "removeAllListeners"> {
  readonly codec: VideoCodec;
  readonly size: Size;
  /** Pictures out so far. */
  readonly framesOut: number;
  /** Frames taken in to decode. */
  readonly framesIn: number;
  /** Frames not decoded because the decoder was behind (each costs the wait for a keyframe). */
  readonly framesSkipped: number;
  /** Frames dropped as undecodable (garbage, cut short, a picture FFmpeg flags corrupt); an ffmpeg child does not say: 0. */
  readonly framesCorrupt: number;
  /** How long the last picture out spent inside the decoder, from feeding to picture (ms). */
  readonly lastLagMs: number;
  /** Waiting for a keyframe because frames were dropped: packets still arrive, pictures do not. */
  readonly skippingToKeyframe: boolean;
  /** True until a keyframe has been fed (at start, and again after frames had to be dropped). */
  readonly waitingForKeyframe: boolean;
  decode(frame: EncodedFrame, now?: number): void;
  close(): Promise<FfmpegExit>;
}
