import { describe, expect, it } from "vitest";
import { createI420, lumaAt, rgbToYuv } from "./i420.js";
import { roundCorners } from "./roundCorners.js";

const WHITE = rgbToYuv(255, 255, 255);
const DARK = rgbToYuv(16, 16, 16);

describe("roundCorners", () => {
  const cases = [
    { name: "no radius leaves the tile square", radius: 0, corner: WHITE.y, inside: WHITE.y },
    { name: "a 1 px radius is below a chroma sample: square", radius: 1, corner: WHITE.y, inside: WHITE.y },
    { name: "a 12 px radius cuts the corner pixel, not the middle", radius: 12, corner: DARK.y, inside: WHITE.y },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const frame = createI420(100, 60, WHITE);
      const rect = { x: 10, y: 10, width: 80, height: 40 };
      roundCorners(frame, rect, c.radius, DARK);
      for (const [x, y] of [
        [10, 10],
        [89, 10],
        [10, 49],
        [89, 49],
      ])
        expect(lumaAt(frame, x, y), `corner ${x},${y}`).toBe(c.corner);
      expect(lumaAt(frame, 50, 30)).toBe(c.inside);
      // Edges away from the corners are untouched.
      expect(lumaAt(frame, 50, 10)).toBe(WHITE.y);
      expect(lumaAt(frame, 10, 30)).toBe(WHITE.y);
    });
  }
  it("never paints outside the tile", () => {
    const frame = createI420(100, 60, WHITE);
    roundCorners(frame, { x: 10, y: 10, width: 80, height: 40 }, 100, DARK);
    expect(lumaAt(frame, 8, 8)).toBe(WHITE.y);
    expect(lumaAt(frame, 92, 52)).toBe(WHITE.y);
  });
});
