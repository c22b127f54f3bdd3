import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, hasGlyph, isGlyphPixelSet } from "./bitmapFont.js";
import { fillRect, planeOffsets, rgbToYuv, type I420Frame, type Yuv } from "./i420.js";

export interface LabelOptions {
  /** Integer magnification of the 8x8 font; default 2. */
  scale?: number;
  /** Upper bound on the box width in pixels; longer text is cut and ends in "...". */
  maxWidth?: number;
  fg?: Yuv;
  bg?: Yuv;
  /** Space between the box edge and the text, in pixels; default 2 * scale. */
  padding?: number;
}

export interface LabelSize {
  width: number;
  height: number;
}

export interface LabelLayout extends LabelSize {
  /** The text as it will be drawn: ASCII only, possibly truncated with "...". */
  text: string;
}

const WHITE = rgbToYuv(255, 255, 255);
const BLACK = rgbToYuv(0, 0, 0);
const ELLIPSIS = "...";
const FALLBACK_CHAR = "?";

interface ResolvedOptions {
  scale: number;
  maxWidth: number;
  fg: Yuv;
  bg: Yuv;
  padding: number;
}

function resolveOptions(opts: LabelOptions = {}): ResolvedOptions {
  const scale = Math.max(1, Math.floor(opts.scale ?? 2));
  return {
    scale,
    maxWidth: opts.maxWidth ?? Infinity,
    fg: opts.fg ?? WHITE,
    bg: opts.bg ?? BLACK,
    padding: Math.max(0, Math.floor(opts.padding ?? 2 * scale)),
  };
}

/** Replaces each code point (not UTF-16 unit, so an emoji is one '?') the font lacks. */
export function toRenderableAscii(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += hasGlyph(code) ? ch : FALLBACK_CHAR;
  }
  return out;
}

/**
 * Size of the label box and the text that fits in it. When even the ellipsis cannot fit, as many
 * dots as fit are used; empty text, or a box that cannot hold a single glyph, measures 0x0 and
 * draws nothing (an empty padded box would look like a rendering glitch).
 */
export function measureLabel(text: string, opts?: LabelOptions): LabelLayout {
  return layout(text, resolveOptions(opts));
}

function layout(text: string, o: ResolvedOptions): LabelLayout {
  const cell = GLYPH_WIDTH * o.scale;
  const ascii = toRenderableAscii(text);
  const capacity = Math.floor((o.maxWidth - 2 * o.padding) / cell);
  const shown = truncate(ascii, capacity);
  if (shown.length === 0) return { text: "", width: 0, height: 0 };
  return { text: shown, width: 2 * o.padding + shown.length * cell, height: 2 * o.padding + GLYPH_HEIGHT * o.scale };
}

function truncate(text: string, capacity: number): string {
  if (text.length <= capacity) return text;
  if (capacity <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, capacity));
  return text.slice(0, capacity - ELLIPSIS.length).trimEnd() + ELLIPSIS;
}

/**
 * Draws a filled box with its top-left corner at (x, y) and the text inside, clipped to the frame.
 * Returns the box size. Chroma inside the box is set to `bg`, then to `fg` wherever a 2x2 chroma
 * block touches a glyph pixel, so coloured text keeps its hue instead of taking the box's.
 */
export function drawLabel(frame: I420Frame, text: string, x: number, y: number, opts?: LabelOptions): LabelSize {
  const o = resolveOptions(opts);
  const box = layout(text, o);
  if (box.width === 0) return { width: 0, height: 0 };
  // fillRect widens odd edges to even ones; starting even keeps the box exactly the measured size.
  const left = Math.floor(x / 2) * 2;
  const top = Math.floor(y / 2) * 2;
  fillRect(frame, left, top, box.width, box.height, o.bg);
  const cell = GLYPH_WIDTH * o.scale;
  for (let i = 0; i < box.text.length; i++) {
    drawGlyph(frame, box.text.charCodeAt(i), left + o.padding + i * cell, top + o.padding, o);
  }
  return { width: box.width, height: box.height };
}

/** Paints each horizontal run of set bits as one scaled block rather than pixel by pixel. */
function drawGlyph(frame: I420Frame, charCode: number, gx: number, gy: number, o: ResolvedOptions): void {
  const rows = glyphRows(charCode);
  for (let r = 0; r < GLYPH_HEIGHT; r++) {
    const bits = rows[r];
    let col = 0;
    while (col < GLYPH_WIDTH) {
      if (!isGlyphPixelSet(bits, col)) {
        col++;
        continue;
      }
      const runStart = col;
      while (col < GLYPH_WIDTH && isGlyphPixelSet(bits, col)) col++;
      const px = gx + runStart * o.scale;
      const py = gy + r * o.scale;
      paintBlock(frame, px, py, (col - runStart) * o.scale, o.scale, o.fg);
    }
  }
}

/** Exact-pixel luma fill (unlike fillRect) so odd scales and paddings keep glyph shapes intact. */
function paintBlock(frame: I420Frame, x: number, y: number, w: number, h: number, color: Yuv): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(frame.width, x + w);
  const y1 = Math.min(frame.height, y + h);
  if (x0 >= x1 || y0 >= y1) return;
  for (let row = y0; row < y1; row++) {
    const start = row * frame.width;
    frame.data.fill(color.y, start + x0, start + x1);
  }
  paintChromaCover(frame, x0, y0, x1, y1, color);
}

function paintChromaCover(frame: I420Frame, x0: number, y0: number, x1: number, y1: number, color: Yuv): void {
  const planes = planeOffsets(frame);
  const stride = frame.width / 2;
  const cx0 = Math.floor(x0 / 2);
  const cx1 = Math.ceil(x1 / 2);
  for (let row = Math.floor(y0 / 2); row < Math.ceil(y1 / 2); row++) {
    const offset = row * stride;
    frame.data.fill(color.u, planes.u + offset + cx0, planes.u + offset + cx1);
    frame.data.fill(color.v, planes.v + offset + cx0, planes.v + offset + cx1);
  }
}
