import { even } from "../video/i420.js";

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Rect extends Size {
  readonly x: number;
  readonly y: number;
}

/**
 * Columns and rows for a tile count: 1 fills, 2 side by side, 3-4 as 2x2, 5-6 as 3x2. On an upright
 * canvas (a phone's portrait mix) the same turned: 2 stacked, 3-4 as 2x2, 5-6 in two columns of three.
 */
export function gridShape(count: number, canvas?: Size): { columns: number; rows: number } {
  if (canvas && canvas.height > canvas.width) {
    const { columns, rows } = gridShape(count);
    return { columns: rows, rows: columns };
  }
  if (count <= 1) return { columns: 1, rows: 1 };
  if (count === 2) return { columns: 2, rows: 1 };
  if (count <= 4) return { columns: 2, rows: 2 };
  if (count <= 6) return { columns: 3, rows: 2 };
  const columns = Math.ceil(Math.sqrt(count));
  return { columns, rows: Math.ceil(count / columns) };
}

/**
 * Tile rectangles for `count` participants on a canvas, in participant order. An incomplete last row
 * is centred, so 3 participants show two on top and one centred below rather than a hole on the right.
 */
export function gridLayout(count: number, canvas: Size): Rect[] {
  if (count <= 0) return [];
  const { columns, rows } = gridShape(count, canvas);
  const rowEdges = Array.from({ length: rows + 1 }, (_, r) => even((r * canvas.height) / rows));
  const columnEdges = Array.from({ length: columns + 1 }, (_, c) => even((c * canvas.width) / columns));
  const tiles: Rect[] = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / columns);
    const column = i % columns;
    const inRow = Math.min(columns, count - row * columns);
    const shift = even(((columns - inRow) * canvas.width) / columns / 2);
    tiles.push({
      x: columnEdges[column] + shift,
      y: rowEdges[row],
      width: columnEdges[column + 1] - columnEdges[column],
      height: rowEdges[row + 1] - rowEdges[row],
    });
  }
  return tiles;
}
