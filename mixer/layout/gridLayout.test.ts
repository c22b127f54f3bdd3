import { describe, expect, it } from "vitest";
import { gridLayout, gridShape } from "./gridLayout.js";

const canvas = { width: 1280, height: 720 };

describe("grid layout", () => {
  it("picks the shape by count", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => gridShape(n))).toEqual([
      { columns: 1, rows: 1 },
      { columns: 2, rows: 1 },
      { columns: 2, rows: 2 },
      { columns: 2, rows: 2 },
      { columns: 3, rows: 2 },
      { columns: 3, rows: 2 },
    ]);
  });

  it("fills the frame with one tile", () => {
    expect(gridLayout(1, canvas)).toEqual([{ x: 0, y: 0, width: 1280, height: 720 }]);
  });

  it("puts two side by side", () => {
    expect(gridLayout(2, canvas)).toEqual([
      { x: 0, y: 0, width: 640, height: 720 },
      { x: 640, y: 0, width: 640, height: 720 },
    ]);
  });

  it("centres the lone third tile of a 2x2", () => {
    const [a, b, c] = gridLayout(3, canvas);
    expect(a).toEqual({ x: 0, y: 0, width: 640, height: 360 });
    expect(b).toEqual({ x: 640, y: 0, width: 640, height: 360 });
    expect(c).toEqual({ x: 320, y: 360, width: 640, height: 360 });
  });

  it("covers the canvas exactly with six tiles on even edges", () => {
    const tiles = gridLayout(6, canvas);
    expect(tiles).toHaveLength(6);
    expect(tiles.reduce((sum, t) => sum + t.width * t.height, 0)).toBe(1280 * 720);
    for (const t of tiles) {
      for (const v of [t.x, t.y, t.width, t.height]) expect(v % 2).toBe(0);
      expect(t.x + t.width).toBeLessThanOrEqual(1280);
      expect(t.height).toBe(360);
    }
  });

  it("never overlaps tiles", () => {
    for (let n = 1; n <= 6; n++) {
      const tiles = gridLayout(n, canvas);
      for (let i = 0; i < tiles.length; i++)
        for (let j = i + 1; j < tiles.length; j++) {
          const a = tiles[i],
            b = tiles[j];
          const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
          expect(overlap, `tiles ${i} and ${j} of ${n}`).toBe(false);
        }
    }
  });
});
