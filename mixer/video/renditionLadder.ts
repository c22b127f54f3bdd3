import type { Size } from "../layout/gridLayout.js";
import type { VideoCodec } from "./videoCodec.js";
import { even } from "./i420.js";

/** The composite's shape: 16:9 for screens held sideways, 9:16 for a phone held upright. */
export type MixShape = "landscape" | "portrait";

/** One size of the mix and the bit rate it is encoded at. */
export interface Rung extends Size {
  readonly bitrate: number;
}

/** One encoded stream of the mix: a rung in a codec. Every receiver of it gets the same bytes. */
export interface MixStream extends Rung {
  readonly codec: VideoCodec;
}

/** The rungs of each shape, largest first. */
export type RenditionLadder = Readonly<Record<MixShape, readonly Rung[]>>;

/**
 * The ladder made from the room's main output (1280x720 at 1.5 Mbit/s by default): that size, a half and a
 * quarter of it (640x360 ~500 kbit/s, 320x180 ~150 kbit/s), and the same turned upright for phones
 * (540x960, 360x640, 180x320). The upright top rung is three quarters of the main one's sides, as a phone's
 * screen rarely shows more than 540 px of width. The main rung (the first landscape one) is what the
 * senders' decoders are sized for and what a recording takes.
 */
export function renditionLadder(main: Rung): RenditionLadder {
  const scaled = (f: number, bitrateShare: number, upright: boolean): Rung => {
    const w = Math.max(2, even(main.width * f));
    const h = Math.max(2, even(main.height * f));
    return { width: upright ? h : w, height: upright ? w : h, bitrate: Math.round(main.bitrate * bitrateShare) };
  };
  return {
    landscape: [
      { width: main.width, height: main.height, bitrate: main.bitrate },
      scaled(1 / 2, 1 / 3, false),
      scaled(1 / 4, 1 / 10, false),
    ],
    portrait: [scaled(3 / 4, 0.8, true), scaled(1 / 2, 1 / 3, true), scaled(1 / 4, 1 / 10, true)],
  };
}

/** One string per stream (codec and size), for maps and logs: `vp8:640x360`. */
export function mixStreamKey(s: Pick<MixStream, "codec" | "width" | "height">): string {
  return `${s.codec}:${s.width}x${s.height}`;
}

export function sameStream(a: MixStream | undefined, b: MixStream | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && mixStreamKey(a) === mixStreamKey(b));
}
