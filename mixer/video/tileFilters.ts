import type { FilterNode } from "../ffmpeg/args.js";
import type { Size } from "../layout/gridLayout.js";
import type { DecoderFit } from "./participantDecoder.js";

function coverFilters(size: Size): FilterNode[] {
  return [
    { name: "scale", args: { w: size.width, h: size.height, force_original_aspect_ratio: "increase", flags: "fast_bilinear" } },
    { name: "crop", args: { w: size.width, h: size.height } },
    { name: "format", args: { pix_fmts: "yuv420p" } },
  ];
}

// Text on a screen is thin: bicubic keeps its strokes where fast_bilinear smears them; a screen's frame rate is low.
// The bars are the composite's background (16,16,16), so a letterboxed screen reads as drawn on the canvas.
function containFilters(size: Size): FilterNode[] {
  return [
    { name: "scale", args: { w: size.width, h: size.height, force_original_aspect_ratio: "decrease", flags: "bicubic" } },
    { name: "pad", args: { w: size.width, h: size.height, x: "(ow-iw)/2", y: "(oh-ih)/2", color: "0x101010" } },
    { name: "format", args: { pix_fmts: "yuv420p" } },
  ];
}

/**
 * How a decoded picture of any size becomes the tile's I420: the same filters whether an ffmpeg child
 * runs them or this process does, so both kinds of decoder draw the same picture.
 */
export function tileFilters(size: Size, fit: DecoderFit): FilterNode[] {
  return fit === "cover" ? coverFilters(size) : containFilters(size);
}
