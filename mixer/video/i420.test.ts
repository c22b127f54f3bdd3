import { describe, expect, it } from "vitest";
import {
  BLACK,
  blitCentered,
  blitScaled,
  chromaAt,
  createI420,
  drawBorder,
  fillRect,
  i420Size,
  lumaAt,
  planeOffsets,
  rgbToYuv,
  type I420Frame,
  type Yuv,
} from "./i420.js";

const GREY: Yuv = { y: 100, u: 110, v: 120 };
const RED: Yuv = { y: 81, u: 90, v: 240 };

/** Luma encodes the position so a test can tell which source pixel landed where. */
function patterned(width: number, height: number): I420Frame {
  const f = createI420(width, height);
  const p = planeOffsets(f);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) f.data[y * width + x] = (x * 7 + y * 13) % 251;
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < width / 2; x++) {
      f.data[p.u + y * (width / 2) + x] = (x * 3 + y * 5) % 251;
      f.data[p.v + y * (width / 2) + x] = (x * 11 + y * 2) % 251;
    }
  }
  return f;
}

function lumaRect(f: I420Frame, predicate: (x: number, y: number) => boolean): Set<string> {
  const hits = new Set<string>();
  for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) if (predicate(x, y)) hits.add(`${x},${y}`);
  return hits;
}

function rectKeys(x: number, y: number, w: number, h: number): Set<string> {
  const keys = new Set<string>();
  for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) keys.add(`${i},${j}`);
  return keys;
}

describe("createI420", () => {
  it("allocates Y plus two quarter-size chroma planes filled with the colour", () => {
    const f = createI420(8, 4, GREY);
    expect(f.data.length).toBe(8 * 4 + 2 * 4 * 2);
    expect(i420Size(8, 4)).toBe(48);
    expect([...f.data.subarray(0, 32)].every((b) => b === 100)).toBe(true);
    expect([...f.data.subarray(32, 40)].every((b) => b === 110)).toBe(true);
    expect([...f.data.subarray(40, 48)].every((b) => b === 120)).toBe(true);
  });

  it("defaults to black and rejects odd sizes", () => {
    expect(createI420(2, 2).data[0]).toBe(16);
    expect(() => createI420(3, 2)).toThrow(/even/);
    expect(() => createI420(2, 0)).toThrow(/even/);
  });
});

describe("rgbToYuv", () => {
  const cases: [string, [number, number, number], Yuv][] = [
    ["red", [255, 0, 0], { y: 81, u: 90, v: 240 }],
    ["green", [0, 255, 0], { y: 145, u: 54, v: 34 }],
    ["blue", [0, 0, 255], { y: 41, u: 240, v: 110 }],
    ["white", [255, 255, 255], { y: 235, u: 128, v: 128 }],
    ["black", [0, 0, 0], { y: 16, u: 128, v: 128 }],
  ];
  for (const [name, rgb, expected] of cases) {
    it(`matches ffmpeg's limited-range BT.601 ${name} within 2`, () => {
      const got = rgbToYuv(...rgb);
      expect(Math.abs(got.y - expected.y)).toBeLessThanOrEqual(2);
      expect(Math.abs(got.u - expected.u)).toBeLessThanOrEqual(2);
      expect(Math.abs(got.v - expected.v)).toBeLessThanOrEqual(2);
    });
  }
});

describe("fillRect", () => {
  it("fills exactly an even-aligned rectangle in all planes", () => {
    const f = createI420(16, 8);
    fillRect(f, 4, 2, 6, 4, RED);
    expect(lumaRect(f, (x, y) => lumaAt(f, x, y) === RED.y)).toEqual(rectKeys(4, 2, 6, 4));
    for (let cy = 0; cy < 4; cy++) {
      for (let cx = 0; cx < 8; cx++) {
        const inside = cx >= 2 && cx < 5 && cy >= 1 && cy < 3;
        expect(chromaAt(f, cx, cy)).toEqual(inside ? { u: RED.u, v: RED.v } : { u: 128, v: 128 });
      }
    }
  });

  it("widens odd edges outward to whole chroma blocks", () => {
    const f = createI420(16, 8);
    fillRect(f, 3, 1, 4, 2, RED);
    expect(lumaRect(f, (x, y) => lumaAt(f, x, y) === RED.y)).toEqual(rectKeys(2, 0, 6, 4));
  });

  it("clips at every edge and ignores rectangles fully outside", () => {
    const f = createI420(8, 8);
    fillRect(f, -4, -4, 8, 8, RED);
    fillRect(f, 6, 6, 10, 10, RED);
    fillRect(f, 20, 0, 4, 4, RED);
    fillRect(f, 0, -10, 4, 4, RED);
    const expected = new Set([...rectKeys(0, 0, 4, 4), ...rectKeys(6, 6, 2, 2)]);
    expect(lumaRect(f, (x, y) => lumaAt(f, x, y) === RED.y)).toEqual(expected);
    expect(chromaAt(f, 3, 3)).toEqual({ u: RED.u, v: RED.v });
    expect(chromaAt(f, 2, 2)).toEqual({ u: 128, v: 128 });
  });
});

describe("drawBorder", () => {
  it("paints a ring and leaves the inside alone", () => {
    const f = createI420(16, 16);
    drawBorder(f, 2, 2, 12, 10, 2, RED);
    const outer = rectKeys(2, 2, 12, 10);
    const inner = rectKeys(4, 4, 8, 6);
    const ring = new Set([...outer].filter((k) => !inner.has(k)));
    expect(lumaRect(f, (x, y) => lumaAt(f, x, y) === RED.y)).toEqual(ring);
  });
});

describe("blitCentered", () => {
  it("centre-crops a source larger than the rectangle", () => {
    const src = patterned(20, 12);
    const dst = createI420(32, 24, GREY);
    blitCentered(dst, 4, 6, 8, 4, src);
    // (20-8)/2 = 6 columns and (12-4)/2 = 4 rows are cropped from each side.
    for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) expect(lumaAt(dst, 4 + x, 6 + y)).toBe(lumaAt(src, 6 + x, 4 + y));
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) expect(chromaAt(dst, 2 + x, 3 + y)).toEqual(chromaAt(src, 3 + x, 2 + y));
    const outside = lumaRect(dst, (x, y) => !(x >= 4 && x < 12 && y >= 6 && y < 10));
    for (const key of outside) {
      const [x, y] = key.split(",").map(Number);
      expect(lumaAt(dst, x, y)).toBe(GREY.y);
    }
    expect(chromaAt(dst, 1, 3)).toEqual({ u: GREY.u, v: GREY.v });
    expect(chromaAt(dst, 6, 3)).toEqual({ u: GREY.u, v: GREY.v });
  });

  it("centres a smaller source and leaves the rest of the rectangle as it was", () => {
    const src = patterned(4, 2);
    const dst = createI420(16, 12, GREY);
    blitCentered(dst, 2, 2, 12, 8, src);
    // Offset inside the rectangle: ((12-4)/2, (8-2)/2) = (4, 3) -> row 3 is odd, floored to 2.
    const changed = lumaRect(dst, (x, y) => lumaAt(dst, x, y) !== GREY.y);
    for (const key of changed) {
      const [x, y] = key.split(",").map(Number);
      expect(x >= 6 && x < 10 && y >= 4 && y < 6).toBe(true);
    }
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) expect(lumaAt(dst, 6 + x, 4 + y)).toBe(lumaAt(src, x, y));
    expect(chromaAt(dst, 3, 2)).toEqual(chromaAt(src, 0, 0));
    expect(chromaAt(dst, 4, 2)).toEqual(chromaAt(src, 1, 0));
    expect(chromaAt(dst, 2, 2)).toEqual({ u: GREY.u, v: GREY.v });
  });

  it("copies an equal-size source verbatim", () => {
    const src = patterned(8, 6);
    const dst = createI420(8, 6);
    blitCentered(dst, 0, 0, 8, 6, src);
    expect(dst.data.equals(src.data)).toBe(true);
  });

  it("clips a rectangle hanging off the top-left and bottom-right of the frame", () => {
    const src = patterned(8, 8);
    const topLeft = createI420(16, 16, GREY);
    blitCentered(topLeft, -4, -2, 8, 8, src);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 4; x++) expect(lumaAt(topLeft, x, y)).toBe(lumaAt(src, x + 4, y + 2));
    expect(lumaAt(topLeft, 4, 0)).toBe(GREY.y);
    expect(lumaAt(topLeft, 0, 6)).toBe(GREY.y);
    expect(chromaAt(topLeft, 0, 0)).toEqual(chromaAt(src, 2, 1));

    const bottomRight = createI420(16, 16, GREY);
    blitCentered(bottomRight, 12, 10, 8, 8, src);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 4; x++) expect(lumaAt(bottomRight, 12 + x, 10 + y)).toBe(lumaAt(src, x, y));
    expect(lumaAt(bottomRight, 11, 10)).toBe(GREY.y);
    expect(chromaAt(bottomRight, 7, 7)).toEqual(chromaAt(src, 1, 2));
  });

  it("does nothing for a rectangle entirely outside the frame or empty", () => {
    const src = patterned(8, 8);
    const dst = createI420(16, 16, GREY);
    const before = Buffer.from(dst.data);
    blitCentered(dst, 40, 0, 8, 8, src);
    blitCentered(dst, -20, 0, 8, 8, src);
    blitCentered(dst, 0, 0, 0, 8, src);
    expect(dst.data.equals(before)).toBe(true);
  });

  it("keeps a 6-tile 1280x720 composite well within a 30 fps budget", () => {
    const canvas = createI420(1280, 720);
    const tile = patterned(640, 480);
    const started = performance.now();
    const frames = 30;
    for (let n = 0; n < frames; n++) {
      for (let i = 0; i < 6; i++) blitCentered(canvas, (i % 3) * 426, Math.floor(i / 3) * 360, 426, 360, tile);
    }
    const perFrameMs = (performance.now() - started) / frames;
    expect(perFrameMs).toBeLessThan(15);
  });
});

describe("blitScaled", () => {
  // Left half dark, right half bright, with a bright column band in the middle third of the rows' chroma.
  function halves(width: number, height: number): I420Frame {
    const f = createI420(width, height, { y: 40, u: 100, v: 100 });
    fillRect(f, width / 2, 0, width / 2, height, { y: 200, u: 160, v: 160 });
    return f;
  }

  it("scales a picture down to a smaller tile, keeping where things are", () => {
    const dst = createI420(320, 180, BLACK);
    blitScaled(dst, 0, 0, 320, 180, halves(640, 360));
    expect(lumaAt(dst, 10, 90)).toBe(40);
    expect(lumaAt(dst, 310, 90)).toBe(200);
    expect(chromaAt(dst, 5, 45)).toEqual({ u: 100, v: 100 });
    expect(chromaAt(dst, 155, 45)).toEqual({ u: 160, v: 160 });
  });

  it("covers an upright tile with the picture's middle (no letterbox), and touches nothing outside it", () => {
    const dst = createI420(360, 640, BLACK);
    blitScaled(dst, 0, 320, 360, 320, halves(1280, 720));
    expect(lumaAt(dst, 0, 319)).toBe(BLACK.y);
    expect(lumaAt(dst, 0, 320)).toBe(40);
    expect(lumaAt(dst, 359, 639)).toBe(200);
    expect(lumaAt(dst, 170, 500)).toBe(40);
    expect(lumaAt(dst, 190, 500)).toBe(200);
  });

  it("clips to the canvas", () => {
    const dst = createI420(64, 64, BLACK);
    blitScaled(dst, 32, 32, 64, 64, halves(128, 72));
    expect(lumaAt(dst, 40, 40)).toBe(40);
    expect(lumaAt(dst, 0, 0)).toBe(BLACK.y);
  });
});
