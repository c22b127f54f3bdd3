import { describe, expect, it } from "vitest";
import { createI420, fillRect, lumaAt, rgbToYuv } from "./i420.js";
import { roundCorners, saveCorners } from "./roundCorners.js";

const WHITE = rgbToYuv(255, 255, 255);
const UNDER = rgbToYuv(200, 40, 40);

describe("roundCorners", () => {
  const cases = [
    { name: "no radius: nothing to round", radius: 0, rounded: false },
    { name: "a 1 px radius is below a chroma sample: square", radius: 1, rounded: false },
    { name: "a 12 px radius shows what was under the corner pixel, not in the middle", radius: 12, rounded: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // What lies under the tile (a lower tile, or the canvas), then the tile drawn over it.
      const frame = createI420(100, 60, UNDER);
      const rect = { x: 10, y: 10, width: 80, height: 40 };
      const corners = saveCorners(frame, rect, c.radius);
      expect(corners !== undefined).toBe(c.rounded);
      fillRect(frame, rect.x, rect.y, rect.width, rect.height, WHITE);
      if (corners) roundCorners(frame, rect, corners);
      for (const [x, y] of [
        [10, 10],
        [89, 10],
        [10, 49],
        [89, 49],
      ])
        expect(lumaAt(frame, x, y), `corner ${x},${y}`).toBe(c.rounded ? UNDER.y : WHITE.y);
      expect(lumaAt(frame, 50, 30)).toBe(WHITE.y);
      // Edges away from the corners are the tile's.
      expect(lumaAt(frame, 50, 10)).toBe(WHITE.y);
      expect(lumaAt(frame, 10, 30)).toBe(WHITE.y);
    });
  }
  it("never paints outside the tile, however large the radius", () => {
    const frame = createI420(100, 60, UNDER);
    const rect = { x: 10, y: 10, width: 80, height: 40 };
    const corners = saveCorners(frame, rect, 100)!;
    fillRect(frame, 0, 0, 100, 60, WHITE);
    roundCorners(frame, rect, corners);
    expect(lumaAt(frame, 8, 8)).toBe(WHITE.y);
    expect(lumaAt(frame, 92, 52)).toBe(WHITE.y);
    expect(lumaAt(frame, 50, 30), "the middle of a pill is the tile's").toBe(WHITE.y);
  });
});
