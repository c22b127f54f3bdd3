import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import { createI420, evenBelow, planeOffsets, type I420Frame } from "./i420.js";
import type { LabelFont } from "./labelFont.js";
import { drawMuteBadge } from "./muteBadge.js";
import { drawLabel as drawBitmapLabel, measureLabel as measureBitmapLabel } from "./textOverlay.js";

/**
 * A rendered label: an opaque I420 picture of even size (box, badge and text already composed on the
 * box's colour), so drawing it into a frame is a copy of its rows. Made once per name, mute state and
 * width; nothing is rasterised per frame.
 */
export interface Overlay {
  readonly width: number;
  readonly height: number;
  /** I420 planes, as I420Frame.data. */
  readonly data: Buffer;
}

export type Rgb = readonly [r: number, g: number, b: number];

export interface LabelRendererOptions {
  /** The output picture's height: the text is LABEL_TEXT_SHARE of it, the same in every tile. */
  readonly outputHeight: number;
  /** The font to draw with (resolveLabelFont); no families: the built-in ASCII bitmap font. */
  readonly font: LabelFont;
  /** Most rendered labels kept (by name, badge and width); beyond it the oldest are dropped. Default 64. */
  readonly cacheSize?: number;
}

/**
 * Text size as a share of the output height: 3.6 % is 26 px at 720p, whose Latin capitals are 18 px of
 * ink (2.5 % of the height) and Hangul 25 px: still legible when a phone shows the mix 360 px wide.
 */
export const LABEL_TEXT_SHARE = 0.036;
/** The name on a camera-off card is this much larger than a tile's label. */
const CARD_TEXT_SCALE = 1.5;
const LABEL_BOX: Rgb = [0, 0, 0];
const TEXT_COLOUR = "#ffffff";
const ELLIPSIS = "…";

/**
 * Renders participants' name labels with a real font and a real shaper (Skia's, through @napi-rs/canvas:
 * HarfBuzz shaping, bidirectional text, per-character font fallback, colour emoji) and keeps them. One per
 * room's video mixer; its cache is what keeps rasterising out of the frame loop.
 */
export class LabelRenderer {
  /** Tile label text size in px. */
  readonly textPx: number;
  private readonly cache = new Map<string, Overlay | null>();
  private readonly cacheSize: number;
  private readonly css: string;
  private readonly shaped: boolean;
  private readonly segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  /** For measuring text before the label's own canvas (its size) exists. */
  private readonly measure = createCanvas(1, 1).getContext("2d");
  /** Labels rasterised so far (a cache miss each): stays put while names, mutes and tiles do. */
  rendered = 0;

  constructor(options: LabelRendererOptions) {
    this.textPx = Math.max(12, Math.round(options.outputHeight * LABEL_TEXT_SHARE));
    this.cacheSize = options.cacheSize ?? 64;
    this.shaped = options.font.families.length > 0;
    this.css = [...options.font.families.map((f) => `"${f.replace(/["\\]/g, "\\$&")}"`), "sans-serif"].join(", ");
  }

  /** The CSS font tile labels (or, `card`, camera-off cards) are drawn with. */
  cssFont(kind: "tile" | "card" = "tile"): string {
    return `${kind === "tile" ? this.textPx : Math.round(this.textPx * CARD_TEXT_SCALE)}px ${this.css}`;
  }

  /**
   * The label at the foot of a tile: a mute badge when `muted`, then the name (none: the badge alone, as
   * on a camera-off card, which shows the name in its middle, on the card's colour). Cut with "…" to fit `maxWidth`; undefined
   * when there is nothing to draw or no room for it.
   */
  tileLabel(name: string | undefined, muted: boolean, maxWidth: number, background: Rgb = LABEL_BOX): Overlay | undefined {
    if (!name && !muted) return undefined;
    return this.cached(`t${muted ? 1 : 0}${background.join(",")}|${maxWidth}|${name ?? ""}`, () =>
      this.render(name ?? "", muted, maxWidth, this.textPx, background),
    );
  }

  /** The name in the middle of a camera-off card, larger, on the card's colour. */
  cardName(name: string, maxWidth: number, background: Rgb): Overlay | undefined {
    return this.cached(`c${background.join(",")}|${maxWidth}|${name}`, () =>
      this.render(name, false, maxWidth, Math.round(this.textPx * CARD_TEXT_SCALE), background),
    );
  }

  private cached(key: string, make: () => Overlay | undefined): Overlay | undefined {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const made = make();
    this.rendered++;
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, made ?? null);
    return made;
  }

  private render(text: string, badge: boolean, maxWidth: number, px: number, background: Rgb): Overlay | undefined {
    const height = evenBelow(px * 1.5);
    const pad = evenBelow(px * 0.45);
    const badgeSize = badge ? evenBelow(px * 1.25) : 0;
    const gap = badge && text ? Math.round(px * 0.3) : 0;
    const room = evenBelow(maxWidth) - 2 * pad - badgeSize - gap;
    if (room < 0 || height === 0) return undefined;
    const measure = this.measure;
    measure.font = `${px}px ${this.css}`;
    const fit = text ? (this.shaped ? this.fit(measure, text, room) : this.fitBitmap(text, px, room)) : { text: "", width: 0 };
    if (!fit.text && !badge) return undefined;
    const width = Math.min(evenBelow(maxWidth), evenBelow(Math.ceil(2 * pad + badgeSize + gap + fit.width) + 1));
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = `rgb(${background.join(",")})`;
    ctx.fillRect(0, 0, width, height);
    if (badge) drawMuteBadge(ctx, pad, (height - badgeSize) / 2, badgeSize);
    const textX = pad + badgeSize + gap;
    if (fit.text && this.shaped) {
      ctx.font = measure.font;
      ctx.fillStyle = TEXT_COLOUR;
      ctx.textBaseline = "alphabetic";
      const m = ctx.measureText(fit.text);
      // Centred on the font's own ascent and descent, so every name sits at the same height whatever its letters.
      ctx.fillText(fit.text, textX, (height + m.fontBoundingBoxAscent - m.fontBoundingBoxDescent) / 2);
    }
    const overlay = rgbaToI420(ctx, width, height);
    if (fit.text && !this.shaped) {
      const scale = bitmapScale(px);
      drawBitmapLabel({ width, height, data: overlay.data }, fit.text, textX, (height - 8 * scale) / 2, {
        scale,
        padding: 0,
        maxWidth: room + 1,
      });
    }
    return overlay;
  }

  /** The longest start of `text`, in whole graphemes (an emoji with its skin tone, a syllable with its marks), that fits with "…". */
  private fit(ctx: SKRSContext2D, text: string, room: number): { text: string; width: number } {
    const full = ctx.measureText(text).width;
    if (full <= room) return { text, width: full };
    const graphemes = [...this.segmenter.segment(text)].map((s) => s.segment);
    let lo = 0;
    let hi = graphemes.length - 1;
    let best = { text: "", width: 0 };
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const candidate =
        graphemes
          .slice(0, mid + 1)
          .join("")
          .trimEnd() + ELLIPSIS;
      const width = ctx.measureText(candidate).width;
      if (width <= room) {
        best = { text: candidate, width };
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  private fitBitmap(text: string, px: number, room: number): { text: string; width: number } {
    const m = measureBitmapLabel(text, { scale: bitmapScale(px), padding: 0, maxWidth: room });
    return { text: m.text, width: m.width };
  }
}

/**
 * Draws a label in every script the default fonts cover and throws it away: Skia opens a font file the
 * first time it needs one (about 50 ms for all of them, the CJK collection most), which should happen at
 * start-up rather than inside the first room's frame clock.
 */
export function warmLabelFonts(font: LabelFont): void {
  new LabelRenderer({ outputHeight: 720, font, cacheSize: 1 }).tileLabel("Aé Жω 김 王 あ محمد שלום हि ไทย 😀", true, 4000);
}

function bitmapScale(px: number): number {
  return Math.max(1, Math.round(px / 10));
}

/**
 * The canvas's RGBA (opaque: the box is filled first) as BT.601 limited-range I420, the conversion
 * i420.ts's rgbToYuv makes; chroma from each 2x2 block's mean colour.
 */
function rgbaToI420(ctx: SKRSContext2D, width: number, height: number): Overlay {
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const frame = createI420(width, height);
  const { data } = frame;
  const { u: uPlane, v: vPlane } = planeOffsets(frame);
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    data[i] = clamp(16 + (65.481 * rgba[p] + 128.553 * rgba[p + 1] + 24.966 * rgba[p + 2]) / 255);
  }
  const cw = width / 2;
  for (let cy = 0; cy < height / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let r = 0,
        g = 0,
        b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        const p = ((2 * cy + dy) * width + 2 * cx + dx) * 4;
        r += rgba[p];
        g += rgba[p + 1];
        b += rgba[p + 2];
      }
      r /= 4 * 255;
      g /= 4 * 255;
      b /= 4 * 255;
      data[uPlane + cy * cw + cx] = clamp(128 - 37.797 * r - 74.203 * g + 112 * b);
      data[vPlane + cy * cw + cx] = clamp(128 + 112 * r - 93.786 * g - 18.214 * b);
    }
  }
  return frame;
}

function clamp(n: number): number {
  return n < 0 ? 0 : n > 255 ? 255 : Math.round(n);
}

/** Copies an overlay into a frame with its top-left corner at (x, y), rounded down to even, clipped to the frame. */
export function blitOverlay(frame: I420Frame, overlay: Overlay, x: number, y: number): void {
  const left = Math.floor(x / 2) * 2;
  const top = Math.floor(y / 2) * 2;
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(frame.width, left + overlay.width);
  const y1 = Math.min(frame.height, top + overlay.height);
  if (x0 >= x1 || y0 >= y1) return;
  const src = overlay.data;
  const dst = frame.data;
  for (let row = y0; row < y1; row++) {
    const from = (row - top) * overlay.width + (x0 - left);
    src.copy(dst, row * frame.width + x0, from, from + (x1 - x0));
  }
  const o = planeOffsets(overlay);
  const f = planeOffsets(frame);
  const ow = overlay.width / 2;
  const fw = frame.width / 2;
  const cx0 = x0 / 2,
    cx1 = x1 / 2;
  for (let row = y0 / 2; row < y1 / 2; row++) {
    const from = (row - top / 2) * ow + (cx0 - left / 2);
    src.copy(dst, f.u + row * fw + cx0, o.u + from, o.u + from + (cx1 - cx0));
    src.copy(dst, f.v + row * fw + cx0, o.v + from, o.v + from + (cx1 - cx0));
  }
}
