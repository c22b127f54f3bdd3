import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inkBox, inkSimilarity, referenceText, type Luma } from "../../test/helpers/glyphs.js";
import { composeFrame } from "./compositor.js";
import { createI420, planeOffsets, rgbToYuv } from "./i420.js";
import { LabelFontError, resolveLabelFont } from "./labelFont.js";
import { blitOverlay, LabelRenderer, type Overlay } from "./labelRenderer.js";

const font = resolveLabelFont(undefined);
const at720 = new LabelRenderer({ outputHeight: 720, font });
const luma = (o: Overlay): Luma => ({ width: o.width, height: o.height, data: o.data.subarray(0, o.width * o.height) });
const label = (name: string, renderer = at720) => renderer.tileLabel(name, false, 600)!;
const similarity = (name: string, drawn: string, renderer = at720) =>
  inkSimilarity(luma(label(drawn, renderer)), referenceText(name, renderer.cssFont()));
const dir = mkdtempSync(join(tmpdir(), "tessera-labels-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("label renderer", () => {
  it("finds the Debian fonts CI installs (Noto for Latin, Cyrillic, Greek, Arabic; Noto CJK; emoji)", () => {
    expect(font.families).toEqual(expect.arrayContaining(["Noto Sans", "Noto Sans CJK JP", "Noto Sans Arabic", "Noto Color Emoji"]));
  });

  it('draws "김민수" with its Hangul glyphs: the label matches the text drawn by Skia, and "???" does not', () => {
    expect(similarity("김민수", "김민수")).toBeGreaterThan(0.95);
    // What the old 8x8 font drew, and what a missing font draws: both must fail the same check.
    expect(similarity("김민수", "???")).toBeLessThan(0.5);
    const bitmap = new LabelRenderer({ outputHeight: 720, font: { families: [] } });
    expect(inkSimilarity(luma(label("김민수", bitmap)), referenceText("김민수", at720.cssFont()))).toBeLessThan(0.5);
    // The fallback still draws ASCII names, at a legible size.
    expect(inkBox(luma(label("Alice", bitmap)))!.height).toBeGreaterThanOrEqual(18);
  });

  it("draws Cyrillic, Greek, Latin with diacritics, Han and joined Arabic with real glyphs", () => {
    for (const name of ["Дмитрий", "Αλέξανδρος", "Zoë Łukasz", "王小明", "محمد علي"]) {
      expect(similarity(name, name), name).toBeGreaterThan(0.95);
      expect(similarity(name, "?".repeat([...name].length)), `${name} as ?`).toBeLessThan(0.5);
    }
    // Arabic shaped: the letters take their joined forms, not the isolated ones (forced by ZWNJ between them).
    const isolated = referenceText("\u0645\u200c\u062d\u200c\u0645\u200c\u062f", at720.cssFont());
    expect(inkSimilarity(luma(label("محمد")), isolated)).toBeLessThan(0.8);
    expect(similarity("محمد", "محمد")).toBeGreaterThan(0.95);
  });

  it("draws colour emoji in colour", () => {
    const o = label("Ana 😀");
    const { u } = planeOffsets(o);
    const chroma = o.data.subarray(u, u + (o.width / 2) * (o.height / 2));
    // Yellow has a low blue-difference: far below the neutral 128 of white text on black.
    expect(Math.min(...chroma)).toBeLessThan(80);
  });

  it("makes the text at least 2.5 % of the output height: 18 px at 720p", () => {
    for (const name of ["Alice", "김민수"]) expect(inkBox(luma(label(name)))!.height, name).toBeGreaterThanOrEqual(18);
    const at1080 = new LabelRenderer({ outputHeight: 1080, font });
    expect(inkBox(luma(label("Alice", at1080)))!.height).toBeGreaterThanOrEqual(27);
  });

  it("cuts a long name with an ellipsis to fit the tile, keeping whole graphemes", () => {
    const long = at720.tileLabel("김민수 Alexandra Konstantinopoulou-Smith", false, 200)!;
    expect(long.width).toBeLessThanOrEqual(200);
    expect(long.width).toBeGreaterThan(150);
    expect(at720.tileLabel("x", false, 10)).toBeUndefined();
  });

  it("puts a red microphone-off badge before a muted participant's name", () => {
    const red = (o: Overlay) => {
      const { v } = planeOffsets(o);
      return [...o.data.subarray(v, v + (o.width / 2) * (o.height / 2))].filter((x) => x > 190).length;
    };
    const muted = at720.tileLabel("Alice", true, 600)!;
    const plain = at720.tileLabel("Alice", false, 600)!;
    expect(red(plain)).toBe(0);
    expect(red(muted)).toBeGreaterThan(50);
    expect(muted.width).toBeGreaterThan(plain.width + 20);
    // The badge alone, for a camera-off card.
    expect(red(at720.tileLabel(undefined, true, 600)!)).toBeGreaterThan(50);
  });

  it("rasterises a label once: composing frame after frame renders nothing new", () => {
    const renderer = new LabelRenderer({ outputHeight: 720, font });
    const picture = createI420(640, 360, rgbToYuv(40, 90, 160));
    const tiles = [
      { rect: { x: 0, y: 0, width: 640, height: 720 }, name: "김민수", frame: picture, highlight: true },
      { rect: { x: 640, y: 0, width: 640, height: 720 }, name: "Дмитрий", frame: undefined, audioMuted: true },
    ];
    composeFrame({ width: 1280, height: 720 }, tiles, renderer);
    const after = renderer.rendered;
    expect(after).toBe(3); // a name, a card's name, a card's badge
    for (let i = 0; i < 100; i++) composeFrame({ width: 1280, height: 720 }, tiles, renderer);
    expect(renderer.rendered).toBe(after);
    expect(renderer.tileLabel("김민수", false, 1280 - 2 * 24)).toBe(renderer.tileLabel("김민수", false, 1280 - 2 * 24));
  });

  it("copies an overlay into a frame clipped at the edges, on even coordinates", () => {
    const o = label("Bob");
    const frame = createI420(64, 64, rgbToYuv(0, 0, 255));
    blitOverlay(frame, o, 33, -5);
    expect(frame.data[0 * 64 + 32]).toBe(o.data[4 * o.width]);
    expect(frame.data[31]).toBe(rgbToYuv(0, 0, 255).y);
  });
});

describe("LABEL_FONT", () => {
  it("takes families and font files, in order", () => {
    expect(resolveLabelFont("DejaVu Sans, Noto Sans").families).toEqual(["DejaVu Sans", "Noto Sans"]);
    const file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    expect(resolveLabelFont(`${file}, Noto Sans`).families).toEqual([`LABEL_FONT ${file}`, "Noto Sans"]);
  });

  it("refuses a family that is not installed, a missing path and a directory without fonts, naming them", () => {
    expect(() => resolveLabelFont("Comic Nope")).toThrow(LabelFontError);
    expect(() => resolveLabelFont("Comic Nope")).toThrow(/"Comic Nope" is not installed/);
    expect(() => resolveLabelFont("/no/such/font.ttf")).toThrow(/"\/no\/such\/font.ttf" does not exist/);
    expect(() => resolveLabelFont(dir)).toThrow(/no font file/);
    writeFileSync(join(dir, "broken.ttf"), "not a font");
    expect(() => resolveLabelFont(join(dir, "broken.ttf"))).toThrow(/not a font file/);
    expect(() => resolveLabelFont(" , ")).toThrow(/names no font/);
  });
});
