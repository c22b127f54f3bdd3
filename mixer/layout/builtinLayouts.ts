import type { LayoutDefinition } from "../../protocol/layoutDefinition.js";

/** The names of the layouts written below. */
export type BuiltinLayoutName = "grid" | "speaker" | "pin" | "presentation" | "interview";

/**
 * The built-in layouts, in the same format a custom one is given in (protocol/layoutDefinition.ts); the
 * unit tests check each against the schema. The strip is a fifth of the canvas: five 16:9 tiles fit along a
 * 16:9 canvas's width (speaker, pin) or down its height beside a screen (presentation).
 */
export const BUILTIN_LAYOUTS: { readonly [K in BuiltinLayoutName]: LayoutDefinition } = {
  grid: {
    name: "grid",
    regions: [{ x: 0, y: 0, width: 1, height: 1, source: "others", arrange: "grid" }],
  },
  speaker: {
    name: "speaker",
    regions: [
      { x: 0, y: 0, width: 1, height: 0.8, source: "speaker" },
      { x: 0, y: 0.8, width: 1, height: 0.2, source: "others", arrange: "row" },
    ],
  },
  pin: {
    name: "pin",
    regions: [
      { x: 0, y: 0, width: 1, height: 0.8, source: "pinned" },
      { x: 0, y: 0.8, width: 1, height: 0.2, source: "others", arrange: "row" },
    ],
  },
  // The screen large and whole (never cropped); the faces beside it (landscape) or under it (portrait), in
  // regions it cannot overlap: the schema refuses overlapping regions of one z.
  presentation: {
    name: "presentation",
    regions: [
      { x: 0, y: 0, width: 0.8, height: 1, source: "screen" },
      { x: 0.8, y: 0, width: 0.2, height: 1, source: "others", arrange: "column" },
    ],
    portrait: [
      { x: 0, y: 0, width: 1, height: 0.6, source: "screen" },
      { x: 0, y: 0.6, width: 1, height: 0.4, source: "others", arrange: "grid" },
    ],
  },
  // Interviewer and candidate at equal size (the first two to join), about 5:4 so that little of a face is
  // cropped; anyone else (a note-taker, an observer who sends) in a small rounded strip under them that covers
  // neither face nor name.
  interview: {
    name: "interview",
    regions: [
      { x: 0, y: 0.1, width: 0.5, height: 0.7, source: "camera", radius: 0.03 },
      { x: 0.5, y: 0.1, width: 0.5, height: 0.7, source: "camera", radius: 0.03 },
      { x: 0.05, y: 0.82, width: 0.9, height: 0.16, source: "others", arrange: "row", radius: 0.12 },
    ],
    portrait: [
      { x: 0, y: 0.04, width: 1, height: 0.4, source: "camera", radius: 0.03 },
      { x: 0, y: 0.44, width: 1, height: 0.4, source: "camera", radius: 0.03 },
      { x: 0.05, y: 0.86, width: 0.9, height: 0.12, source: "others", arrange: "row", radius: 0.12 },
    ],
  },
};
