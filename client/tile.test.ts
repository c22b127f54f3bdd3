import { describe, expect, it } from "vitest";
import { scaleDownFor } from "./tile.js";

describe("tile scale", () => {
  const vga = { width: 640, height: 480 };

  it("never scales up", () => {
    expect(scaleDownFor(vga, { width: 1280, height: 720 })).toBe(1);
    expect(scaleDownFor(vga, { width: 640, height: 720 })).toBe(1);
  });

  it("uses the smaller ratio so the encoded picture still covers the tile", () => {
    expect(scaleDownFor(vga, { width: 320, height: 360 })).toBeCloseTo(480 / 360);
    expect(scaleDownFor(vga, { width: 426, height: 240 })).toBeCloseTo(640 / 426);
    expect(scaleDownFor(vga, { width: 320, height: 240 })).toBe(2);
  });
});
