import type { Rect, Size } from "./gridLayout.js";

// I420 chroma is subsampled 2x2: even edges keep each tile's chroma its own.
const even = (n: number) => Math.round(n / 2) * 2;

/**
 * One participant large on top, everyone else in a strip along the bottom, in the order given. The strip
 * is a fifth of the height so that up to five 16:9 strip tiles fit side by side on a 16:9 canvas; fewer
 * are centred. With nobody else, the one tile fills the canvas. On an upright canvas the strip is the same
 * fifth of the height, its tiles sharing the narrow width.
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
  // Tiles are 16:9 (the cameras' shape; an upright canvas's shape would make slivers of them) unless that
  // many would overflow the width; then they share it.
  const aspect = canvas.width >= canvas.height ? canvas.width / canvas.height : 16 / 9;
  const tileWidth = Math.min(even(stripHeight * aspect), Math.floor(canvas.width / others.length / 2) * 2);
  const left = even((canvas.width - tileWidth * others.length) / 2);
  others.forEach((id, i) => tiles.set(id, { x: left + i * tileWidth, y: mainHeight, width: tileWidth, height: stripHeight }));
  return tiles;
}
