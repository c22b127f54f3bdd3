import type { Rect } from "../layout/gridLayout.js";
import { createI420, evenBelow, planeOffsets, type I420Frame } from "./i420.js";

/** What lay under a tile's four corners before it was drawn (top left, top right, bottom left, bottom right). */
export interface Corners {
  readonly radius: number;
  readonly patches: readonly I420Frame[];
}

/**
 * Keeps what lies under the corners of `rect` (the canvas, or a tile of a lower z), to put back outside the
 * rounded corners once the tile is drawn. Undefined when the radius is below a chroma sample.
 */
export function saveCorners(frame: I420Frame, rect: Rect, radius: number): Corners | undefined {
  const r = evenBelow(Math.min(radius, rect.width / 2, rect.height / 2));
  if (r < 2) return undefined;
  const patches = cornerOrigins(rect, r).map(([x, y]) => {
    const patch = createI420(r, r);
    copyBlock(frame, x, y, patch, 0, 0, r, r);
    return patch;
  });
  return { radius: r, patches };
}

/**
 * Cuts the drawn tile's corners to quarter circles: what `saveCorners` kept is put back outside the arcs, so
 * a rounded tile drawn over another (a picture-in-picture) shows that one in its corners, not a square of
 * background. Two rows at a time, on even columns: one chroma sample covers 2x2 pixels.
 */
export function roundCorners(frame: I420Frame, rect: Rect, corners: Corners): void {
  const r = corners.radius;
  const origins = cornerOrigins(rect, r);
  for (let dy = 0; dy < r; dy += 2) {
    // The widest cut of the two rows is the one further from the arc's centre.
    const fromCentre = r - dy - 0.5;
    const cut = Math.ceil((r - Math.sqrt(Math.max(0, r * r - fromCentre * fromCentre))) / 2) * 2;
    if (cut <= 0) continue;
    // Rows dy, dy+1 from the top of the top corners, and the same distance from the bottom of the bottom ones.
    const rows = [dy, dy, r - 2 - dy, r - 2 - dy];
    const cols = [0, r - cut, 0, r - cut];
    corners.patches.forEach((patch, i) =>
      copyBlock(patch, cols[i], rows[i], frame, origins[i][0] + cols[i], origins[i][1] + rows[i], cut, 2),
    );
  }
}

function cornerOrigins(rect: Rect, r: number): [number, number][] {
  const right = rect.x + rect.width - r;
  const bottom = rect.y + rect.height - r;
  return [
    [rect.x, rect.y],
    [right, rect.y],
    [rect.x, bottom],
    [right, bottom],
  ];
}

/** Copies a w x h block (even position and size) between two I420 pictures, all three planes. */
function copyBlock(src: I420Frame, sx: number, sy: number, dst: I420Frame, dx: number, dy: number, w: number, h: number): void {
  for (let row = 0; row < h; row++)
    src.data.copy(dst.data, (dy + row) * dst.width + dx, (sy + row) * src.width + sx, (sy + row) * src.width + sx + w);
  const s = planeOffsets(src);
  const d = planeOffsets(dst);
  const sw = src.width / 2;
  const dw = dst.width / 2;
  for (let row = 0; row < h / 2; row++) {
    const from = (sy / 2 + row) * sw + sx / 2;
    const to = (dy / 2 + row) * dw + dx / 2;
    src.data.copy(dst.data, d.u + to, s.u + from, s.u + from + w / 2);
    src.data.copy(dst.data, d.v + to, s.v + from, s.v + from + w / 2);
  }
}
