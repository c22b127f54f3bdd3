import { describe, expect, it } from "vitest";
import { layoutChoiceSchema, layoutDefinitionSchema, type LayoutDefinition, type LayoutChoice } from "../../protocol/layoutDefinition.js";
import * as z from "../../protocol/zod.js";
import { BUILTIN_LAYOUTS } from "./builtinLayouts.js";
import { computeLayout } from "./computeLayout.js";
import type { Rect, Size } from "./gridLayout.js";

const landscape = { width: 1280, height: 720 };
const portrait = { width: 360, height: 640 };
const six = ["a", "b", "c", "d", "e", "f"];

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
const inside = (r: Rect, c: Size) =>
  r.x >= 0 && r.y >= 0 && r.x + r.width <= c.width && r.y + r.height <= c.height && r.width > 0 && r.height > 0;
const evenEdges = (r: Rect) => [r.x, r.y, r.width, r.height].every((v) => v % 2 === 0);

/** Joins then leaves, step by step, keeping the assignment as the mixer does; the tiles after each step. */
function steps(spec: LayoutChoice, canvas: Size, rosters: readonly (readonly string[])[], screen?: string) {
  let previous: ReturnType<typeof computeLayout>["assignment"] | undefined;
  return rosters.map((cameras) => {
    const l = computeLayout(spec, { cameras, screen, speaker: undefined }, canvas, previous);
    previous = l.assignment;
    return l.tiles;
  });
}

describe("built-in layouts as data", () => {
  for (const [name, def] of Object.entries(BUILTIN_LAYOUTS)) {
    it(`${name} is a valid definition`, () => {
      expect(z.safeParse(layoutDefinitionSchema, def).success).toBe(true);
    });
  }

  describe("every built-in, 1 to 6 cameras, with and without a screen, both shapes: inside, even, same-z tiles never overlap", () => {
    for (const layout of ["grid", "speaker", "pin", "presentation", "interview"] as const)
      for (const canvas of [landscape, portrait, { width: 540, height: 960 }, { width: 640, height: 360 }])
        for (const screen of [undefined, "screen:a"])
          it(`${layout} ${canvas.width}x${canvas.height}${screen ? " sharing" : ""}`, () => {
            for (let n = 1; n <= 6; n++) {
              const l = computeLayout(
                { layout, ...(layout === "pin" ? { pin: "b" } : {}) },
                { cameras: six.slice(0, n), screen, speaker: "c" },
                canvas,
              );
              expect(l.tiles.size, `${n} cameras`).toBe(n + (screen ? 1 : 0));
              const tiles = [...l.tiles.values()];
              for (const r of tiles) {
                expect(inside(r, canvas), JSON.stringify(r)).toBe(true);
                expect(evenEdges(r), JSON.stringify(r)).toBe(true);
              }
              const overlapping = tiles.some((r, i) => tiles.some((s, j) => i < j && overlaps(r, s)));
              expect(overlapping, `${n} cameras`).toBe(false);
              if (screen)
                expect(
                  tiles.filter((r) => overlaps(r, l.tiles.get(screen)!)),
                  "nothing covers the screen",
                ).toHaveLength(1);
            }
          });
  });
});

describe("presentation", () => {
  it("takes over while a screen is shared, whatever the room chose; the screen large on the left, faces in a column beside it", () => {
    for (const layout of ["grid", "speaker", "interview"] as const) {
      const l = computeLayout({ layout }, { cameras: ["a", "b", "c"], screen: "screen:b", speaker: "a" }, landscape);
      expect(l.layout).toBe("presentation");
      expect(l.tiles.get("screen:b")).toEqual({ x: 0, y: 0, width: 1024, height: 720 });
      for (const id of ["a", "b", "c"]) expect(l.tiles.get(id)).toMatchObject({ x: 1024, width: 256, height: 144 });
    }
  });
  it("on an upright canvas: the screen on top, the faces in a grid under it", () => {
    const l = computeLayout({ layout: "grid" }, { cameras: ["a", "b"], screen: "screen:a", speaker: undefined }, portrait);
    expect(l.tiles.get("screen:a")).toEqual({ x: 0, y: 0, width: 360, height: 384 });
    for (const id of ["a", "b"]) expect(l.tiles.get(id)!.y).toBeGreaterThanOrEqual(384);
  });
  it("ends with the share: back to the room's choice", () => {
    expect(computeLayout({ layout: "speaker" }, { cameras: ["a", "b"], screen: undefined, speaker: "b" }, landscape).layout).toBe(
      "speaker",
    );
  });
  it("a custom layout with a screen region is kept while sharing", () => {
    const definition: LayoutDefinition = {
      regions: [
        { x: 0, y: 0, width: 1, height: 1, source: "screen" },
        { x: 0.75, y: 0.75, width: 0.25, height: 0.25, source: "speaker", z: 1, radius: 0.5 },
      ],
    };
    const l = computeLayout({ layout: "custom", definition }, { cameras: ["a", "b"], screen: "screen:a", speaker: "b" }, landscape);
    expect(l.layout).toBe("custom");
    expect(l.tiles.get("screen:a")).toEqual({ x: 0, y: 0, width: 1280, height: 720 });
    expect(l.tiles.get("b")).toEqual({ x: 960, y: 540, width: 320, height: 180 });
    expect(l.rounding.get("b")).toBe(90);
    expect(l.tiles.has("a"), "nobody else has a region").toBe(false);
    // Drawn in z order: the picture-in-picture after the screen.
    expect([...l.tiles.keys()]).toEqual(["screen:a", "b"]);
  });
});

describe("interview", () => {
  it("two at equal size side by side (landscape) or stacked (portrait)", () => {
    const l = computeLayout({ layout: "interview" }, { cameras: ["a", "b"], speaker: "a" }, landscape);
    expect(l.tiles.get("a")).toEqual({ x: 0, y: 72, width: 640, height: 504 });
    expect(l.tiles.get("b")).toEqual({ x: 640, y: 72, width: 640, height: 504 });
    const p = computeLayout({ layout: "interview" }, { cameras: ["a", "b"], speaker: "a" }, portrait);
    expect(p.tiles.get("a")).toEqual({ x: 0, y: 26, width: 360, height: 256 });
    expect(p.tiles.get("b")).toEqual({ x: 0, y: 282, width: 360, height: 256 });
  });
  it("a third joiner goes to the rounded strip under them; the two keep their places", () => {
    const l = computeLayout({ layout: "interview" }, { cameras: ["a", "b", "c"], speaker: "c" }, landscape);
    expect(l.tiles.get("a")).toEqual({ x: 0, y: 72, width: 640, height: 504 });
    expect(l.tiles.get("c")!.y).toBeGreaterThanOrEqual(576);
    expect(l.rounding.get("c")).toBeGreaterThan(0);
  });
  it("when the interviewer leaves, the candidate stays where they were and the next joiner takes the empty side", () => {
    const [before, after] = steps({ layout: "interview" }, landscape, [
      ["a", "b", "c"],
      ["b", "c"],
    ]);
    expect(after.get("b")).toEqual(before.get("b"));
    expect(after.get("c")).toEqual(before.get("a"));
  });
});

describe("stable placement: nobody moves when a later participant leaves", () => {
  const cases: { layout: LayoutChoice; canvas: Size; from: string[]; leaver: string }[] = [
    { layout: { layout: "grid" }, canvas: landscape, from: ["a", "b", "c", "d"], leaver: "d" },
    { layout: { layout: "grid" }, canvas: landscape, from: ["a", "b", "c", "d"], leaver: "b" },
    { layout: { layout: "grid" }, canvas: landscape, from: six, leaver: "f" },
    { layout: { layout: "grid" }, canvas: landscape, from: six, leaver: "c" },
    { layout: { layout: "grid" }, canvas: portrait, from: six, leaver: "e" },
    { layout: { layout: "speaker" }, canvas: landscape, from: ["a", "b", "c", "d", "e"], leaver: "e" },
    { layout: { layout: "speaker" }, canvas: landscape, from: ["a", "b", "c", "d", "e"], leaver: "c" },
    { layout: { layout: "pin", pin: "a" }, canvas: portrait, from: ["a", "b", "c", "d"], leaver: "d" },
    { layout: { layout: "interview" }, canvas: landscape, from: ["a", "b", "c", "d"], leaver: "d" },
  ];
  for (const c of cases)
    it(`${c.layout.layout} ${c.canvas.width}x${c.canvas.height}: ${c.from.join("")} less ${c.leaver}`, () => {
      const [before, after] = steps(c.layout, c.canvas, [c.from, c.from.filter((id) => id !== c.leaver)]);
      for (const [id, rect] of after) expect(rect, id).toEqual(before.get(id));
    });
  it("a joiner takes the hole a leaver left", () => {
    const [before, , after] = steps({ layout: "grid" }, landscape, [six, ["a", "b", "d", "e", "f"], ["a", "b", "d", "e", "f", "g"]]);
    expect(after.get("g")).toEqual(before.get("c"));
  });
  it("the grid closes up when it changes shape (four to two: side by side, in the order they had)", () => {
    const [, after] = steps({ layout: "grid" }, landscape, [
      ["a", "b", "c", "d"],
      ["b", "d"],
    ]);
    expect(after.get("b")).toEqual({ x: 0, y: 0, width: 640, height: 720 });
    expect(after.get("d")).toEqual({ x: 640, y: 0, width: 640, height: 720 });
  });
  it("without history (a fresh room) the grid is in join order and centred, as before", () => {
    const l = computeLayout({ layout: "grid" }, { cameras: ["a", "b", "c"] }, landscape);
    expect(l.tiles.get("c")).toEqual({ x: 320, y: 360, width: 640, height: 360 });
  });
});

describe("the layout choice is validated, naming the problem", () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(layoutChoiceSchema, input);
    return parsed.success ? "" : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  };
  const region = { x: 0, y: 0, width: 1, height: 1, source: "others" };
  const cases: [string, unknown, RegExp | ""][] = [
    ["a built-in", { layout: "interview" }, ""],
    ["custom with a definition", { layout: "custom", definition: { regions: [region] } }, ""],
    ["an unknown layout", { layout: "mosaic" }, /layout/],
    ["custom without a definition", { layout: "custom" }, /definition/],
    ["a definition for a built-in", { layout: "grid", definition: { regions: [region] } }, /definition/],
    ["no regions", { layout: "custom", definition: { regions: [] } }, /regions/],
    ["a region past the right edge", { layout: "custom", definition: { regions: [{ ...region, x: 0.5 }] } }, /right edge/],
    ["a negative coordinate", { layout: "custom", definition: { regions: [{ ...region, y: -0.1 }] } }, /regions\.0\.y/],
    ["an unknown source", { layout: "custom", definition: { regions: [{ ...region, source: "slides" }] } }, /source/],
    ["participant without whom", { layout: "custom", definition: { regions: [{ ...region, source: "participant" }] } }, /participant/],
    [
      "arrange on a single tile",
      { layout: "custom", definition: { regions: [{ ...region, source: "speaker", arrange: "row" }] } },
      /arrange/,
    ],
    [
      "overlapping regions of one z",
      { layout: "custom", definition: { regions: [region, { x: 0.5, y: 0.5, width: 0.5, height: 0.5, source: "screen" }] } },
      /regions 0 and 1 overlap/,
    ],
    [
      "two others regions",
      {
        layout: "custom",
        definition: {
          regions: [
            { ...region, width: 0.5 },
            { ...region, x: 0.5, width: 0.5 },
          ],
        },
      },
      /at most one region may be "others"/,
    ],
    [
      "a portrait of other sources",
      { layout: "custom", definition: { regions: [region], portrait: [{ ...region, source: "speaker" }] } },
      /portrait/,
    ],
    ["an unknown field", { layout: "custom", definition: { regions: [{ ...region, colour: "red" }] } }, /colour/],
    ["a radius too large", { layout: "custom", definition: { regions: [{ ...region, radius: 2 }] } }, /radius/],
  ];
  for (const [name, input, expected] of cases)
    it(name, () => {
      if (expected === "") expect(problem(input)).toBe("");
      else expect(problem(input)).toMatch(expected);
    });
});
