import { describe, expect, it } from "vitest";
import { glyphRows, isGlyphPixelSet } from "./bitmapFont.js";
import { chromaAt, createI420, lumaAt, type Yuv } from "./i420.js";
import { drawLabel, measureLabel, toRenderableAscii } from "./textOverlay.js";

const CANVAS: Yuv = { y: 128, u: 60, v: 200 };
const FG: Yuv = { y: 235, u: 100, v: 150 };
const BG: Yuv = { y: 16, u: 128, v: 128 };

function inBox(x: number, y: number, bx: number, by: number, size: { width: number; height: number }): boolean {
  return x >= bx && x < bx + size.width && y >= by && y < by + size.height;
}

describe("bitmapFont", () => {
  it("has the font8x8_basic 'A' with bit 0 as the leftmost pixel", () => {
    const art = [...glyphRows("A".charCodeAt(0))].map((row) =>
      Array.from({ length: 8 }, (_, c) => (isGlyphPixelSet(row, c) ? "#" : ".")).join(""),
    );
    expect(art).toEqual(["..##....", ".####...", "##..##..", "##..##..", "######..", "##..##..", "##..##..", "........"]);
  });

  it("falls back to '?' outside printable ASCII", () => {
    const question = glyphRows("?".charCodeAt(0));
    expect(glyphRows(0xe9)).toEqual(question);
    expect(glyphRows(0x0a)).toEqual(question);
    expect(glyphRows(0x7f)).toEqual(question);
  });
});

describe("measureLabel", () => {
  it("sizes the box as glyph cells plus padding on both sides", () => {
    expect(measureLabel("abc")).toEqual({ text: "abc", width: 3 * 16 + 2 * 4, height: 16 + 2 * 4 });
    expect(measureLabel("abc", { scale: 3, padding: 1 })).toEqual({ text: "abc", width: 74, height: 26 });
  });

  it("turns non-ASCII code points into a single '?' each", () => {
    expect(toRenderableAscii("Zoë 😀\tx")).toBe("Zo? ??x");
    expect(measureLabel("é").text).toBe("?");
  });

  it("truncates with '...' so the box never exceeds maxWidth", () => {
    const text = "A very long participant name";
    for (const maxWidth of [200, 137, 120, 57, 40, 30, 23, 20, 8]) {
      const box = measureLabel(text, { maxWidth });
      expect(box.width).toBeLessThanOrEqual(maxWidth);
      if (box.text.length >= 4) expect(box.text.endsWith("...")).toBe(true);
    }
    // (120 - 2 * 4) / 16 = 7 cells: four letters and the three dots.
    expect(measureLabel(text, { maxWidth: 120 }).text).toBe("A ve...");
    // A cut landing after a space drops it rather than showing "A ...".
    expect(measureLabel(text, { maxWidth: 88 }).text).toBe("A...");
    expect(measureLabel(text, { maxWidth: 1000 }).text).toBe(text);
    expect(measureLabel("Short", { maxWidth: 88 }).text).toBe("Short");
  });

  it("measures nothing for empty text or a box too narrow for one glyph", () => {
    expect(measureLabel("")).toEqual({ text: "", width: 0, height: 0 });
    expect(measureLabel("abc", { maxWidth: 20 })).toEqual({ text: "", width: 0, height: 0 });
  });
});

describe("drawLabel", () => {
  it("draws glyph pixels inside its box and changes nothing outside", () => {
    const f = createI420(128, 48, CANVAS);
    const size = drawLabel(f, "Hi!", 10, 6, { fg: FG, bg: BG });
    const measured = measureLabel("Hi!");
    expect(size).toEqual({ width: measured.width, height: measured.height });
    let glyphPixels = 0;
    for (let y = 0; y < f.height; y++) {
      for (let x = 0; x < f.width; x++) {
        const luma = lumaAt(f, x, y);
        if (inBox(x, y, 10, 6, size)) {
          expect([FG.y, BG.y]).toContain(luma);
          if (luma === FG.y) glyphPixels++;
        } else {
          expect(luma).toBe(CANVAS.y);
        }
      }
    }
    expect(glyphPixels).toBeGreaterThan(0);
    for (let cy = 0; cy < f.height / 2; cy++) {
      for (let cx = 0; cx < f.width / 2; cx++) {
        if (!inBox(cx * 2, cy * 2, 10, 6, size)) expect(chromaAt(f, cx, cy)).toEqual({ u: CANVAS.u, v: CANVAS.v });
      }
    }
  });

  it("renders each glyph bit as a scale x scale block after the padding", () => {
    const f = createI420(64, 32, CANVAS);
    const scale = 3;
    const padding = 2;
    drawLabel(f, "A", 4, 2, { scale, padding, fg: FG, bg: BG });
    const rows = glyphRows("A".charCodeAt(0));
    for (let y = 0; y < 8 * scale; y++) {
      for (let x = 0; x < 8 * scale; x++) {
        const set = isGlyphPixelSet(rows[Math.floor(y / scale)], Math.floor(x / scale));
        expect(lumaAt(f, 4 + padding + x, 2 + padding + y)).toBe(set ? FG.y : BG.y);
      }
    }
    // Chroma of a block touching a glyph pixel takes the text colour; untouched ones the box's.
    expect(chromaAt(f, (4 + padding + 2 * scale) / 2, (2 + padding) / 2)).toEqual({ u: FG.u, v: FG.v });
    expect(chromaAt(f, 2, 1)).toEqual({ u: BG.u, v: BG.v });
  });

  it("keeps a truncated label inside maxWidth on the frame", () => {
    const f = createI420(320, 32, CANVAS);
    const size = drawLabel(f, "Someone with a very long display name", 0, 0, { maxWidth: 100, fg: FG, bg: BG });
    expect(size.width).toBeLessThanOrEqual(100);
    for (let y = 0; y < f.height; y++) for (let x = 100; x < f.width; x++) expect(lumaAt(f, x, y)).toBe(CANVAS.y);
    // The last three cells hold the '.' glyph: its dot sits in rows 5-6, columns 2-3.
    const dotX = size.width - 4 - 16 + 2 * 2;
    expect(lumaAt(f, dotX, 4 + 5 * 2)).toBe(FG.y);
    expect(lumaAt(f, dotX, 4 + 2 * 2)).toBe(BG.y);
  });

  it("clips at the frame edge without throwing", () => {
    const f = createI420(32, 16, CANVAS);
    expect(() => drawLabel(f, "edge", 20, 8)).not.toThrow();
    expect(() => drawLabel(f, "edge", -30, -10)).not.toThrow();
    expect(lumaAt(f, 0, 0)).not.toBe(CANVAS.y);
  });

  it("starts an odd position on the even pixel before it so the box stays its measured size", () => {
    const f = createI420(64, 32, CANVAS);
    const size = drawLabel(f, "x", 5, 3, { fg: FG, bg: BG });
    expect(lumaAt(f, 4, 2)).toBe(BG.y);
    expect(lumaAt(f, 4 + size.width - 1, 2 + size.height - 1)).toBe(BG.y);
    expect(lumaAt(f, 4 + size.width, 2)).toBe(CANVAS.y);
    expect(lumaAt(f, 3, 2)).toBe(CANVAS.y);
  });
});
