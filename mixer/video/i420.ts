/**
 * Raw I420 (YUV 4:2:0 planar) frames: a full-resolution Y plane followed by U and V planes at half
 * resolution in both directions. This is what ffmpeg's rawvideo yuv420p pipes carry, so the mixer
 * can compose its canvas in JS without converting colour spaces per frame.
 */

export interface I420Frame {
  width: number;
  height: number;
  data: Buffer;
}

export interface Yuv {
  y: number;
  u: number;
  v: number;
}

/**
 * The nearest even number. I420's chroma is subsampled 2x2: picture sides and tile edges are kept even so
 * each tile's chroma is its own.
 */
export const even = (n: number): number => Math.round(n / 2) * 2;

/** The largest even number not above `n`, and not below 0: for a size that must fit in `n`. */
export const evenBelow = (n: number): number => Math.max(0, Math.floor(n / 2) * 2);

export const BLACK: Yuv = { y: 16, u: 128, v: 128 };

export function i420Size(width: number, height: number): number {
  return width * height + 2 * (width / 2) * (height / 2);
}

/** Byte offsets of the U and V planes inside `frame.data`. */
export function planeOffsets(frame: I420Frame): { u: number; v: number } {
  const ySize = frame.width * frame.height;
  return { u: ySize, v: ySize + (frame.width / 2) * (frame.height / 2) };
}

export function createI420(width: number, height: number, color: Yuv = BLACK): I420Frame {
  assertEvenSize(width, height);
  // allocUnsafe: fillPlanes writes every byte, and this runs for every composed frame.
  const frame: I420Frame = { width, height, data: Buffer.allocUnsafe(i420Size(width, height)) };
  fillPlanes(frame, color);
  return frame;
}

/** Clears an existing picture to one colour, for drawing the next one in the same buffer. */
export function clearI420(frame: I420Frame, color: Yuv = BLACK): I420Frame {
  fillPlanes(frame, color);
  return frame;
}

/**
 * BT.601 limited ("TV") range, which is what ffmpeg's default rgb -> yuv420p conversion produces
 * and what decoders assume for untagged streams; full-range values would look washed out.
 */
export function rgbToYuv(r: number, g: number, b: number): Yuv {
  const kr = 0.299;
  const kb = 0.114;
  const luma = (kr * r + (1 - kr - kb) * g + kb * b) / 255;
  const cb = (b / 255 - luma) / (2 * (1 - kb));
  const cr = (r / 255 - luma) / (2 * (1 - kr));
  return {
    y: clampByte(Math.round(16 + 219 * luma)),
    u: clampByte(Math.round(128 + 224 * cb)),
    v: clampByte(Math.round(128 + 224 * cr)),
  };
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Fills a rectangle in all three planes. The rectangle is widened to even edges because one chroma
 * sample covers a 2x2 luma block: a rectangle with an odd edge would otherwise tint luma pixels it
 * never painted, or leave painted ones with the old tint.
 */
export function fillRect(frame: I420Frame, x: number, y: number, w: number, h: number, color: Yuv): void {
  const rect = clipRect(frame, alignOutward({ x, y, w, h }));
  if (rect.w <= 0 || rect.h <= 0) return;
  const { data, width } = frame;
  for (let row = rect.y; row < rect.y + rect.h; row++) {
    const start = row * width + rect.x;
    data.fill(color.y, start, start + rect.w);
  }
  fillChroma(frame, rect, color);
}

/** A frame of rectangles `thickness` wide just inside (x, y, w, h); even-aligned like fillRect. */
export function drawBorder(frame: I420Frame, x: number, y: number, w: number, h: number, thickness: number, color: Yuv): void {
  if (thickness <= 0 || w <= 0 || h <= 0) return;
  const t = Math.min(thickness, Math.ceil(w / 2), Math.ceil(h / 2));
  fillRect(frame, x, y, w, t, color);
  fillRect(frame, x, y + h - t, w, t, color);
  fillRect(frame, x, y + t, t, h - 2 * t, color);
  fillRect(frame, x + w - t, y + t, t, h - 2 * t, color);
}

/**
 * Copies `src` into the destination rectangle, centre-cropping a larger source and centring a
 * smaller one (the uncovered part of the rectangle keeps its pixels, so the caller decides the
 * letterbox colour). The rectangle is shrunk to even edges so chroma lines up, and the copy is
 * clipped to `dst`. Copies whole rows with Buffer.copy: this runs for every tile of every output
 * frame, where per-pixel JS would eat the frame budget.
 */
export function blitCentered(dst: I420Frame, dstX: number, dstY: number, dstW: number, dstH: number, src: I420Frame): void {
  const target = alignInward({ x: dstX, y: dstY, w: dstW, h: dstH });
  const spanX = centreSpan(target.x, target.w, src.width, dst.width);
  const spanY = centreSpan(target.y, target.h, src.height, dst.height);
  if (spanX.length <= 0 || spanY.length <= 0) return;
  copyPlane(src.data, 0, src.width, dst.data, 0, dst.width, spanX, spanY);
  const srcPlanes = planeOffsets(src);
  const dstPlanes = planeOffsets(dst);
  const halfX = halveSpan(spanX);
  const halfY = halveSpan(spanY);
  copyPlane(src.data, srcPlanes.u, src.width / 2, dst.data, dstPlanes.u, dst.width / 2, halfX, halfY);
  copyPlane(src.data, srcPlanes.v, src.width / 2, dst.data, dstPlanes.v, dst.width / 2, halfX, halfY);
}

/**
 * Fills the destination rectangle with `src` scaled to cover it (the source's middle, cropped to the
 * rectangle's shape): how a smaller or upright rendition draws a picture decoded for the main one's tile.
 * Nearest-neighbour sampling with the column map computed once per call: a 640x360 rendition costs about
 * 0.35 M samples a frame, a few percent of a core at 30 fps; a filter would cost several times that.
 */
export function blitScaled(dst: I420Frame, dstX: number, dstY: number, dstW: number, dstH: number, src: I420Frame): void {
  const whole = alignInward({ x: dstX, y: dstY, w: dstW, h: dstH });
  const t = clipRect(dst, whole);
  if (t.w <= 0 || t.h <= 0 || whole.w <= 0 || whole.h <= 0) return;
  // Cover: the larger of the two scales, so no letterbox; the source's overflow is cut evenly on both sides.
  const scale = Math.max(whole.w / src.width, whole.h / src.height);
  // Where the drawn (clipped) part starts in the source.
  const x0 = (src.width - whole.w / scale) / 2 + (t.x - whole.x) / scale;
  const y0 = (src.height - whole.h / scale) / 2 + (t.y - whole.y) / scale;
  scalePlane(src.data, 0, src.width, src.width, src.height, dst.data, 0, dst.width, t.x, t.y, t.w, t.h, x0, y0, 1 / scale);
  const sp = planeOffsets(src);
  const dp = planeOffsets(dst);
  const half = { x: t.x / 2, y: t.y / 2, w: t.w / 2, h: t.h / 2 };
  for (const [s, d] of [
    [sp.u, dp.u],
    [sp.v, dp.v],
  ]) {
    scalePlane(
      src.data,
      s,
      src.width / 2,
      src.width / 2,
      src.height / 2,
      dst.data,
      d,
      dst.width / 2,
      half.x,
      half.y,
      half.w,
      half.h,
      x0 / 2,
      y0 / 2,
      1 / scale,
    );
  }
}

function scalePlane(
  src: Buffer,
  srcBase: number,
  srcStride: number,
  srcW: number,
  srcH: number,
  dst: Buffer,
  dstBase: number,
  dstStride: number,
  dx: number,
  dy: number,
  w: number,
  h: number,
  sx0: number,
  sy0: number,
  step: number,
): void {
  const columns = new Int32Array(w);
  for (let x = 0; x < w; x++) columns[x] = Math.min(srcW - 1, Math.max(0, Math.floor(sx0 + (x + 0.5) * step)));
  let previousRow = -1;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(srcH - 1, Math.max(0, Math.floor(sy0 + (y + 0.5) * step)));
    const out = dstBase + (dy + y) * dstStride + dx;
    if (sy === previousRow) {
      // Upscaling repeats a source row: copy the row just drawn.
      dst.copy(dst, out, out - dstStride, out - dstStride + w);
      continue;
    }
    previousRow = sy;
    const row = srcBase + sy * srcStride;
    for (let x = 0; x < w; x++) dst[out + x] = src[row + columns[x]];
  }
}

/** A 1-D run to copy: `length` samples from source index `from` to destination index `to`. */
interface Span {
  from: number;
  to: number;
  length: number;
}

/** Centres a source extent in a destination extent along one axis, then clips to the frame. */
function centreSpan(targetStart: number, targetLength: number, srcLength: number, frameLength: number): Span {
  const length = floorEven(Math.min(srcLength, targetLength));
  let from = floorEven((srcLength - length) / 2);
  let to = targetStart + floorEven((targetLength - length) / 2);
  let clipped = length;
  if (to < 0) {
    from -= to;
    clipped += to;
    to = 0;
  }
  clipped = Math.min(clipped, frameLength - to);
  return { from, to, length: clipped };
}

function halveSpan(span: Span): Span {
  return { from: span.from / 2, to: span.to / 2, length: span.length / 2 };
}

function copyPlane(
  src: Buffer,
  srcBase: number,
  srcStride: number,
  dst: Buffer,
  dstBase: number,
  dstStride: number,
  spanX: Span,
  spanY: Span,
): void {
  for (let row = 0; row < spanY.length; row++) {
    const srcStart = srcBase + (spanY.from + row) * srcStride + spanX.from;
    const dstStart = dstBase + (spanY.to + row) * dstStride + spanX.to;
    src.copy(dst, dstStart, srcStart, srcStart + spanX.length);
  }
}

function fillPlanes(frame: I420Frame, color: Yuv): void {
  const { u, v } = planeOffsets(frame);
  frame.data.fill(color.y, 0, u);
  frame.data.fill(color.u, u, v);
  frame.data.fill(color.v, v, frame.data.length);
}

/** Fills the chroma samples of an even-aligned, already clipped luma rectangle. */
function fillChroma(frame: I420Frame, rect: Rect, color: Yuv): void {
  const planes = planeOffsets(frame);
  const stride = frame.width / 2;
  const cx = rect.x / 2;
  const cw = rect.w / 2;
  for (let row = rect.y / 2; row < (rect.y + rect.h) / 2; row++) {
    const offset = row * stride + cx;
    frame.data.fill(color.u, planes.u + offset, planes.u + offset + cw);
    frame.data.fill(color.v, planes.v + offset, planes.v + offset + cw);
  }
}

function alignOutward(rect: Rect): Rect {
  const x0 = floorEven(rect.x);
  const y0 = floorEven(rect.y);
  return { x: x0, y: y0, w: ceilEven(rect.x + rect.w) - x0, h: ceilEven(rect.y + rect.h) - y0 };
}

function alignInward(rect: Rect): Rect {
  const x0 = ceilEven(rect.x);
  const y0 = ceilEven(rect.y);
  return { x: x0, y: y0, w: floorEven(rect.x + rect.w) - x0, h: floorEven(rect.y + rect.h) - y0 };
}

function clipRect(frame: I420Frame, rect: Rect): Rect {
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(frame.width, rect.x + rect.w);
  const y1 = Math.min(frame.height, rect.y + rect.h);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function floorEven(n: number): number {
  return Math.floor(n / 2) * 2;
}

function ceilEven(n: number): number {
  return Math.ceil(n / 2) * 2;
}

function clampByte(n: number): number {
  return Math.min(255, Math.max(0, n));
}

function assertEvenSize(width: number, height: number): void {
  const ok = Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0;
  if (!ok || width % 2 !== 0 || height % 2 !== 0) {
    throw new Error(`I420 dimensions must be positive and even, got ${width}x${height}`);
  }
}

export function lumaAt(frame: I420Frame, x: number, y: number): number {
  return frame.data[y * frame.width + x];
}

/** Chroma at chroma-plane coordinates (half the luma resolution in each direction). */
export function chromaAt(frame: I420Frame, cx: number, cy: number): { u: number; v: number } {
  const p = planeOffsets(frame);
  const i = cy * (frame.width / 2) + cx;
  return { u: frame.data[p.u + i], v: frame.data[p.v + i] };
}
