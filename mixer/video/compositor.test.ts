import { describe, expect, it } from "vitest";
import { composeFrame, containedRect, highlightThickness, labelInset, SPEAKER_HIGHLIGHT } from "./compositor.js";
import { chromaAt, createI420, lumaAt, rgbToYuv, type I420Frame } from "./i420.js";
import { resolveLabelFont } from "./labelFont.js";
import { LabelRenderer } from "./labelRenderer.js";

const canvas = { width: 320, height: 180 };
const BLUE = rgbToYuv(0, 0, 255);
const labels = new LabelRenderer({ outputHeight: canvas.height, font: resolveLabelFont(undefined) });

function isHighlight(frame: I420Frame, x: number, y: number): boolean {
  const c = chromaAt(frame, x >> 1, y >> 1);
  return lumaAt(frame, x, y) === SPEAKER_HIGHLIGHT.y && c.u === SPEAKER_HIGHLIGHT.u && c.v === SPEAKER_HIGHLIGHT.v;
}

describe("compositor highlight", () => {
  const picture = createI420(160, 90, BLUE);
  const left = { x: 0, y: 0, width: 160, height: 90 };
  const right = { x: 160, y: 0, width: 160, height: 90 };

  it("frames the speaker's tile on all four edges and leaves the rest of it alone", () => {
    const frame = composeFrame(
      canvas,
      [
        { rect: left, name: "", frame: picture, highlight: true },
        { rect: right, name: "", frame: picture },
      ],
      labels,
    );
    const t = highlightThickness(left);
    expect(t).toBe(4);
    for (const [x, y] of [
      [80, 0],
      [80, t - 1],
      [80, 89],
      [0, 45],
      [159, 45],
      [t - 1, 45],
    ])
      expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(true);
    expect(isHighlight(frame, 80, 45)).toBe(false);
    expect(lumaAt(frame, 80, 45)).toBe(BLUE.y);
    expect(isHighlight(frame, t + 2, 45)).toBe(false);
    // The other tile has no border.
    for (const [x, y] of [
      [240, 0],
      [160, 45],
      [319, 45],
    ])
      expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(false);
  });

  it("frames a name card too", () => {
    const frame = composeFrame(
      canvas,
      [
        { rect: left, name: "Cam on", frame: picture },
        { rect: right, name: "Cam off", frame: undefined, highlight: true },
      ],
      labels,
    );
    expect(isHighlight(frame, 240, 1)).toBe(true);
    expect(isHighlight(frame, 60, 1)).toBe(false);
  });

  it("never frames a lone tile: there is nobody to tell the speaker from", () => {
    const frame = composeFrame(
      canvas,
      [{ rect: { x: 0, y: 0, width: 320, height: 180 }, name: "Solo", frame: picture, highlight: true }],
      labels,
    );
    for (const [x, y] of [
      [160, 0],
      [0, 90],
      [319, 90],
      [160, 179],
    ])
      expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(false);
  });

  it("draws the label inside the highlight: the border never covers it (two tiles at 720p)", () => {
    const at720 = new LabelRenderer({ outputHeight: 720, font: resolveLabelFont(undefined) });
    const big = createI420(640, 720, BLUE);
    const tile = { x: 0, y: 0, width: 640, height: 720 };
    const frame = composeFrame(
      { width: 1280, height: 720 },
      [
        { rect: tile, name: "김민수", frame: big, highlight: true },
        { rect: { ...tile, x: 640 }, name: "Alice", frame: big },
      ],
      at720,
    );
    const t = highlightThickness(tile);
    const label = at720.tileLabel("김민수", false, 640 - 2 * labelInset(tile))!;
    const top = 720 - labelInset(tile) - label.height;
    expect(top + label.height).toBeLessThanOrEqual(720 - t);
    for (let y = top; y < top + label.height; y++) expect(isHighlight(frame, labelInset(tile) + 2, y), `label row ${y}`).toBe(false);
    for (let y = 720 - t; y < 720; y++) expect(isHighlight(frame, labelInset(tile) + 2, y), `border row ${y}`).toBe(true);
    // The label's box is there, whole: its bottom row is the box's black.
    expect(lumaAt(frame, labelInset(tile) + 2, top + label.height - 1)).toBe(16);
  });

  it("scales the border with the tile, even and at least 4 px", () => {
    expect([720, 576, 360, 144, 90].map((height) => highlightThickness({ x: 0, y: 0, width: 100, height }))).toEqual([16, 12, 8, 4, 4]);
  });
});

describe("containedRect: a screen scaled whole into another rendition's tile", () => {
  const cases = [
    {
      name: "a wide picture in a tall tile: full width, centred down",
      rect: { x: 0, y: 0, width: 540, height: 576 },
      picture: { width: 1024, height: 720 },
      want: { x: 0, y: 98, width: 540, height: 380 },
    },
    {
      name: "the same shape: the whole tile",
      rect: { x: 10, y: 20, width: 512, height: 360 },
      picture: { width: 1024, height: 720 },
      want: { x: 10, y: 20, width: 512, height: 360 },
    },
    {
      name: "a tall picture in a wide tile: full height, centred across",
      rect: { x: 0, y: 0, width: 640, height: 360 },
      picture: { width: 360, height: 640 },
      want: { x: 218, y: 0, width: 202, height: 360 },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = containedRect(c.rect, c.picture);
      expect(r).toEqual(c.want);
      for (const v of [r.x, r.y, r.width, r.height]) expect(v % 2).toBe(0);
    });
});
