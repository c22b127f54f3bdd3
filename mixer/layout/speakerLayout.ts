import type { Rect, Size } from "./gridLayout.js";

// I420 chroma is subsampled 2x2: even edges keep each tile's chroma its own.
const even = (n: number) => Math.round(n / 2) * 2;

/**
 * One participant large on top, everyone else in a strip along the bottom, in the order given. The strip
 * is a fifth of the height so that up to five 16:9 strip tiles fit side by side on a 16:9 canvas; fewer
 * are centred. With nobody else, the one tile fills the canvas.
 */
export function focusLayout(focus: string, others: readonly string[], canvas: Size): Map<string, Rect> {
  const tiles = new Map<string, Rect>();
  if (others.length === 0) {
    tiles.set(focus, { x: 0, y: 0, width: canvas.width, height: canvas.height });
    return tiles;
  }
  const stripHeight = even(canvas.height / 5);
  const mainHeight = canvas.height - stripHeight;
  tiles.set(focus, { x: 0, y: 0, width: canvas.width, height: mainHeight });
  // Tiles keep the canvas's shape unless that many would overflow the width; then they share it.
  const tileWidth = Math.min(even((stripHeight * canvas.width) / canvas.height), Math.floor(canvas.width / others.length / 2) * 2);
  const left = even((canvas.width - tileWidth * others.length) / 2);
  others.forEach((id, i) => tiles.set(id, { x: left + i * tileWidth, y: mainHeight, width: tileWidth, height: stripHeight }));
  return tiles;
}
