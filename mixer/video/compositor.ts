import type { Rect, Size } from "../layout/gridLayout.js";
import { blitCentered, blitScaled, clearI420, createI420, drawBorder, even, fillRect, rgbToYuv, type I420Frame, type Yuv } from "./i420.js";
import { roundCorners, saveCorners } from "./roundCorners.js";
import { blitOverlay, type LabelRenderer, type Rgb } from "./labelRenderer.js";

export interface TileContent {
  readonly rect: Rect;
  readonly name: string;
  /** Undefined draws the placeholder card: camera off, no keyframe yet, or the picture went stale. */
  readonly frame: I420Frame | undefined;
  /** The active speaker's tile: framed in SPEAKER_HIGHLIGHT (when there is more than one tile). */
  readonly highlight?: boolean;
  /** Microphone muted: a mute badge before the name. */
  readonly audioMuted?: boolean;
  /**
   * `contain`: a picture decoded for another size is scaled whole into the tile (a screen, already letterboxed
   * by its decoder); `cover` (the default) fills the tile and crops (a face).
   */
  readonly fit?: "cover" | "contain";
  /** Corner radius in pixels: the corners are cut to the background (a layout's `radius`). */
  readonly radius?: number;
}

export const BACKGROUND: Yuv = rgbToYuv(16, 16, 16);
const PLACEHOLDER_RGB: Rgb = [48, 48, 48];
export const PLACEHOLDER: Yuv = rgbToYuv(...PLACEHOLDER_RGB);
/** Amber: stands out against skin, walls and the dark background, and is none of the usual UI greys. */
export const SPEAKER_HIGHLIGHT: Yuv = rgbToYuv(255, 200, 0);
const LABEL_MARGIN = 8;

/** A border about 1/45 of the tile's height (16 px full-frame, 8 px in a 2x2 grid, 4 px in a strip), kept even. */
export function highlightThickness(rect: Rect): number {
  return Math.max(4, Math.floor(rect.height / 90) * 2);
}

/** How far a tile's label sits from the tile's edges: inside where the highlight would be, so it never covers it. */
export function labelInset(rect: Rect): number {
  return highlightThickness(rect) + LABEL_MARGIN;
}

/** The largest rectangle of the picture's shape inside `rect`, centred, on even edges. */
export function containedRect(rect: Rect, picture: Size): Rect {
  const scale = Math.min(rect.width / picture.width, rect.height / picture.height);
  const width = Math.min(rect.width, Math.max(2, even(picture.width * scale)));
  const height = Math.min(rect.height, Math.max(2, even(picture.height * scale)));
  return { x: rect.x + Math.floor((rect.width - width) / 4) * 2, y: rect.y + Math.floor((rect.height - height) / 4) * 2, width, height };
}

/**
 * Draws one output picture: every tile's latest frame (or its name card), then the highlight, then the
 * labels inside the highlight's edge. A lone tile is never framed: there is nobody to tell apart. With
 * `into` (a picture of the canvas's size) it draws there instead of allocating 1.4 MB per frame at 720p.
 * `scaleTiles`: pictures decoded for another canvas's tiles (the main rendition's) are scaled to cover
 * these tiles; without it a picture of another size is centre-cropped or centred, as during a re-layout.
 */
export function composeFrame(
  canvas: Size,
  tiles: readonly TileContent[],
  labels: LabelRenderer,
  into?: I420Frame,
  scaleTiles = false,
): I420Frame {
  const frame = into ? clearI420(into, BACKGROUND) : createI420(canvas.width, canvas.height, BACKGROUND);
  for (const tile of tiles) {
    const { rect } = tile;
    const inset = labelInset(rect);
    // What is under the corners (the background, or a tile of a lower z) shows through a rounded tile's corners.
    const corners = tile.radius ? saveCorners(frame, rect, tile.radius) : undefined;
    if (tile.frame) {
      const exact = tile.frame.width === rect.width && tile.frame.height === rect.height;
      if (scaleTiles && !exact && tile.fit === "contain") {
        const inner = containedRect(rect, tile.frame);
        blitScaled(frame, inner.x, inner.y, inner.width, inner.height, tile.frame);
      } else if (scaleTiles && !exact) blitScaled(frame, rect.x, rect.y, rect.width, rect.height, tile.frame);
      else blitCentered(frame, rect.x, rect.y, rect.width, rect.height, tile.frame);
    } else {
      fillRect(frame, rect.x, rect.y, rect.width, rect.height, PLACEHOLDER);
      const card = labels.cardName(tile.name, rect.width - 2 * inset, PLACEHOLDER_RGB);
      if (card) blitOverlay(frame, card, rect.x + (rect.width - card.width) / 2, rect.y + (rect.height - card.height) / 2);
    }
    // A few row fills over the picture's edge: no copy of the picture, no allocation.
    if (tile.highlight && tiles.length > 1)
      drawBorder(frame, rect.x, rect.y, rect.width, rect.height, highlightThickness(rect), SPEAKER_HIGHLIGHT);
    // A card already shows the name in its middle: its label is the mute badge alone, if muted.
    const label = tile.frame
      ? labels.tileLabel(tile.name, tile.audioMuted ?? false, rect.width - 2 * inset)
      : labels.tileLabel(undefined, tile.audioMuted ?? false, rect.width - 2 * inset, PLACEHOLDER_RGB);
    if (label) blitOverlay(frame, label, rect.x + inset, rect.y + rect.height - inset - label.height);
    if (corners) roundCorners(frame, rect, corners);
  }
  return frame;
}
