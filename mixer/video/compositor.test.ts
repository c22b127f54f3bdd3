import { describe, expect, it } from "vitest";
import { composeFrame, highlightThickness, SPEAKER_HIGHLIGHT } from "./compositor.js";
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
    const frame = composeFrame(canvas, [
      { rect: left, name: "", frame: picture, highlight: true },
      { rect: right, name: "", frame: picture },
    ], labels);
    const t = highlightThickness(left);
    expect(t).toBe(4);
    for (const [x, y] of [[80, 0], [80, t - 1], [80, 89], [0, 45], [159, 45], [t - 1, 45]]) expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(true);
    expect(isHighlight(frame, 80, 45)).toBe(false);
    expect(lumaAt(frame, 80, 45)).toBe(BLUE.y);
    expect(isHighlight(frame, t + 2, 45)).toBe(false);
    // The other tile has no border.
    for (const [x, y] of [[240, 0], [160, 45], [319, 45]]) expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(false);
  });

  it("frames a name card too", () => {
    const frame = composeFrame(canvas, [
      { rect: left, name: "Cam on", frame: picture },
      { rect: right, name: "Cam off", frame: undefined, highlight: true },
    ], labels);
    expect(isHighlight(frame, 240, 1)).toBe(true);
    expect(isHighlight(frame, 60, 1)).toBe(false);
  });

  it("never frames a lone tile: there is nobody to tell the speaker from", () => {
    const frame = composeFrame(canvas, [{ rect: { x: 0, y: 0, width: 320, height: 180 }, name: "Solo", frame: picture, highlight: true }], labels);
    for (const [x, y] of [[160, 0], [0, 90], [319, 90], [160, 179]]) expect(isHighlight(frame, x, y), `(${x},${y})`).toBe(false);
  });

  it("scales the border with the tile, even and at least 4 px", () => {
    expect([720, 576, 360, 144, 90].map((height) => highlightThickness({ x: 0, y: 0, width: 100, height }))).toEqual([16, 12, 8, 4, 4]);
  });
});
