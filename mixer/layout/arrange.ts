import type { LayoutArrangement } from "../../protocol/layoutDefinition.js";
import { even } from "../video/i420.js";
import { gridLayout, type Rect, type Size } from "./gridLayout.js";

/** A region in relative coordinates (0..1) on a canvas, in pixels on even edges. */
export function regionRect(region: { x: number; y: number; width: number; height: number }, canvas: Size): Rect {
  const x = even(region.x * canvas.width);
  const y = even(region.y * canvas.height);
  return {
    x,
    y,
    width: Math.min(canvas.width, even((region.x + region.width) * canvas.width)) - x,
    height: Math.min(canvas.height, even((region.y + region.height) * canvas.height)) - y,
  };
}

/**
 * `cells` tiles sharing a region, in order: `grid` as the composite's grid does (an upright region turns it),
 * `row` as 16:9 tiles along the region's height, centred, sharing its width when that many would overflow it,
 * `column` the same down its width.
 */
export function arrangeCells(arrange: LayoutArrangement, cells: number, region: Rect): Rect[] {
  if (cells <= 0 || region.width <= 0 || region.height <= 0) return [];
  if (arrange === "grid") return gridLayout(cells, region).map((r) => ({ ...r, x: r.x + region.x, y: r.y + region.y }));
  if (arrange === "row") {
    const width = Math.max(2, Math.min(even((region.height * 16) / 9), Math.floor(region.width / cells / 2) * 2));
    const left = region.x + even((region.width - width * cells) / 2);
    return Array.from({ length: cells }, (_, i) => ({ x: left + i * width, y: region.y, width, height: region.height }));
  }
  const height = Math.max(2, Math.min(even((region.width * 9) / 16), Math.floor(region.height / cells / 2) * 2));
  const top = region.y + even((region.height - height * cells) / 2);
  return Array.from({ length: cells }, (_, i) => ({ x: region.x, y: top + i * height, width: region.width, height }));
}
