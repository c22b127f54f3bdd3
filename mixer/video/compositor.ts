import type { Rect, Size } from "../layout/gridLayout.js";
import { blitCentered, createI420, fillRect, rgbToYuv, type I420Frame, type Yuv } from "./i420.js";
import { drawLabel } from "./textOverlay.js";

export interface TileContent {
  readonly rect: Rect;
  readonly name: string;
  /** Undefined draws the placeholder card: camera off, no keyframe yet, or the picture went stale. */
  readonly frame: I420Frame | undefined;
}

export const BACKGROUND: Yuv = rgbToYuv(16, 16, 16);
export const PLACEHOLDER: Yuv = rgbToYuv(48, 48, 48);
const LABEL_MARGIN = 8;

/** Draws one output picture: every tile's latest frame (or its name card) with the name on top. */
export function composeFrame(canvas: Size, tiles: readonly TileContent[]): I420Frame {
  const frame = createI420(canvas.width, canvas.height, BACKGROUND);
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
  }
  return frame;
}
