import type { Rect, Size } from "../layout/gridLayout.js";
import { blitCentered, clearI420, createI420, drawBorder, fillRect, rgbToYuv, type I420Frame, type Yuv } from "./i420.js";
import { drawLabel } from "./textOverlay.js";

export interface TileContent {
  readonly rect: Rect;
  readonly name: string;
  /** Undefined draws the placeholder card: camera off, no keyframe yet, or the picture went stale. */
  readonly frame: I420Frame | undefined;
  /** The active speaker's tile: framed in SPEAKER_HIGHLIGHT. */
  readonly highlight?: boolean;
}

export const BACKGROUND: Yuv = rgbToYuv(16, 16, 16);
export const PLACEHOLDER: Yuv = rgbToYuv(48, 48, 48);
/** Amber: stands out against skin, walls and the dark background, and is none of the usual UI greys. */
export const SPEAKER_HIGHLIGHT: Yuv = rgbToYuv(255, 200, 0);
const LABEL_MARGIN = 8;

/** A border about 1/45 of the tile's height (16 px full-frame, 8 px in a 2x2 grid, 4 px in a strip), kept even. */
export function highlightThickness(rect: Rect): number {
  return Math.max(4, Math.floor(rect.height / 90) * 2);
}

/**
 * Draws one output picture: every tile's latest frame (or its name card) with the name on top. With `into`
 * (a picture of the canvas's size) it draws there instead of allocating 1.4 MB per frame at 720p.
 */
export function composeFrame(canvas: Size, tiles: readonly TileContent[], into?: I420Frame): I420Frame {
  const frame = into ? clearI420(into, BACKGROUND) : createI420(canvas.width, canvas.height, BACKGROUND);
  for (const tile of tiles) {
    const { rect } = tile;
    if (tile.frame) {
      blitCentered(frame, rect.x, rect.y, rect.width, rect.height, tile.frame);
    } else {
      fillRect(frame, rect.x, rect.y, rect.width, rect.height, PLACEHOLDER);
      const scale = rect.height >= 360 ? 4 : 3;
      const cardLabelWidth = Math.min(rect.width - 2 * LABEL_MARGIN, tile.name.length * 8 * scale + 16);
      drawLabel(frame, tile.name, rect.x + Math.max(LABEL_MARGIN, (rect.width - cardLabelWidth) / 2), rect.y + rect.height / 2 - 4 * scale, {
        scale,
        maxWidth: rect.width - 2 * LABEL_MARGIN,
        bg: PLACEHOLDER,
      });
    }
    drawLabel(frame, tile.name, rect.x + LABEL_MARGIN, rect.y + rect.height - LABEL_MARGIN - 20, {
      scale: 2,
      maxWidth: rect.width - 2 * LABEL_MARGIN,
    });
    // A few row fills over the picture's edge: no copy of the picture, no allocation.
    if (tile.highlight) drawBorder(frame, rect.x, rect.y, rect.width, rect.height, highlightThickness(rect), SPEAKER_HIGHLIGHT);
  }
  return frame;
}
