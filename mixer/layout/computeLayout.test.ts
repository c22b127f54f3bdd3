import { describe, expect, it } from "vitest";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { computeLayout, sameTiles } from "./computeLayout.js";
import type { Size } from "./gridLayout.js";

const canvas = { width: 1280, height: 720 };
const ids = ["a", "b", "c", "d"];

function overlaps(tiles: Iterable<{ x: number; y: number; width: number; height: number }>): boolean {
  const list = [...tiles];
  return list.some((r, i) =>
    list.some((s, j) => i < j && r.x < s.x + s.width && s.x < r.x + r.width && r.y < s.y + s.height && s.y < r.y + r.height),
  );
}

/** The layout of cameras `ids` (join order) with `speaker` speaking and no screen, from scratch. */
const layoutOf = (spec: LayoutChoice, ids: readonly string[], speaker: string | undefined, canvas: Size) =>
  computeLayout(spec, { cameras: ids, speaker }, canvas);

describe("computeLayout", () => {
  it("grid: equal tiles in join order, no focus", () => {
    const l = layoutOf({ layout: "grid" }, ids, "c", canvas);
    expect(l.layout).toBe("grid");
    expect(l.focus).toBeUndefined();
    expect([...l.tiles.keys()]).toEqual(ids);
    expect(new Set([...l.tiles.values()].map((r) => `${r.width}x${r.height}`))).toEqual(new Set(["640x360"]));
  });

  it("speaker: the active speaker large on top, the others in a centred strip in join order", () => {
    const l = layoutOf({ layout: "speaker" }, ids, "c", canvas);
    expect(l.focus).toBe("c");
    expect(l.tiles.get("c")).toEqual({ x: 0, y: 0, width: 1280, height: 576 });
    expect(l.tiles.get("a")).toEqual({ x: 256, y: 576, width: 256, height: 144 });
    expect(l.tiles.get("b")).toEqual({ x: 512, y: 576, width: 256, height: 144 });
    expect(l.tiles.get("d")).toEqual({ x: 768, y: 576, width: 256, height: 144 });
    expect(overlaps(l.tiles.values())).toBe(false);
  });

  it("speaker: five in the strip fill its width; every edge is even and inside the canvas", () => {
    const six = ["a", "b", "c", "d", "e", "f"];
    const l = layoutOf({ layout: "speaker" }, six, "f", canvas);
    const strip = six.slice(0, 5).map((id) => l.tiles.get(id)!);
    expect(strip.map((r) => r.x)).toEqual([0, 256, 512, 768, 1024]);
    for (const r of l.tiles.values()) {
      for (const n of [r.x, r.y, r.width, r.height]) expect(n % 2).toBe(0);
      expect(r.x + r.width).toBeLessThanOrEqual(1280);
      expect(r.y + r.height).toBeLessThanOrEqual(720);
    }
    expect(overlaps(l.tiles.values())).toBe(false);
  });

  it("speaker: before anyone has spoken, or when the speaker is not present, the first joiner is large", () => {
    expect(layoutOf({ layout: "speaker" }, ids, undefined, canvas).focus).toBe("a");
    expect(layoutOf({ layout: "speaker" }, ids, "gone", canvas).focus).toBe("a");
  });

  it("a single participant fills the canvas in every layout", () => {
    for (const layout of ["grid", "speaker", "pin"] as const) {
      expect([...layoutOf({ layout, pin: "a" }, ["a"], undefined, canvas).tiles.values()]).toEqual([
        { x: 0, y: 0, width: 1280, height: 720 },
      ]);
    }
  });

  it("pin: the pinned participant is large whoever speaks", () => {
    const l = layoutOf({ layout: "pin", pin: "b" }, ids, "d", canvas);
    expect(l.layout).toBe("pin");
    expect(l.focus).toBe("b");
    expect(l.tiles.get("b")!.height).toBe(576);
  });

  it("pin: a pinned participant who left falls back to the speaker layout", () => {
    const l = layoutOf({ layout: "pin", pin: "gone" }, ids, "d", canvas);
    expect(l.layout).toBe("speaker");
    expect(l.choice, "the choice as it stands says so too").toEqual({ layout: "speaker" });
    expect(l.focus).toBe("d");
    // A screen shared meanwhile draws the presentation; the choice standing is still the fallback.
    const shared = computeLayout({ layout: "pin", pin: "gone" }, { cameras: ids, speaker: "d", screen: "s" }, canvas);
    expect([shared.layout, shared.choice]).toEqual(["presentation", { layout: "speaker" }]);
    expect(computeLayout({ layout: "pin", pin: "b" }, { cameras: ids, speaker: "d", screen: "s" }, canvas).choice).toEqual({
      layout: "pin",
      pin: "b",
    });
  });

  it("nobody present: no tiles", () => {
    expect(layoutOf({ layout: "speaker" }, [], "a", canvas).tiles.size).toBe(0);
  });

  it("sameTiles compares rectangles by participant", () => {
    const a = layoutOf({ layout: "speaker" }, ids, "a", canvas).tiles;
    expect(sameTiles(a, layoutOf({ layout: "speaker" }, ids, undefined, canvas).tiles)).toBe(true);
    expect(sameTiles(a, layoutOf({ layout: "speaker" }, ids, "b", canvas).tiles)).toBe(false);
    expect(sameTiles(a, layoutOf({ layout: "grid" }, ids, "b", canvas).tiles)).toBe(false);
  });

  describe("an upright canvas (a phone's portrait mix)", () => {
    const portraits = [
      { width: 360, height: 640 },
      { width: 540, height: 960 },
      { width: 180, height: 320 },
    ];
    const six = ["a", "b", "c", "d", "e", "f"];
    for (const canvas of portraits) {
      for (const layout of ["grid", "speaker", "pin"] as const) {
        for (let n = 1; n <= 6; n++) {
          it(`${layout}, ${n} at ${canvas.width}x${canvas.height}: inside, even, no overlap`, () => {
            const l = layoutOf({ layout, pin: "b" }, six.slice(0, n), "c", canvas);
            expect(l.tiles.size).toBe(n);
            for (const r of l.tiles.values()) {
              for (const v of [r.x, r.y, r.width, r.height]) expect(v % 2).toBe(0);
              expect(r.x).toBeGreaterThanOrEqual(0);
              expect(r.x + r.width).toBeLessThanOrEqual(canvas.width);
              expect(r.y + r.height).toBeLessThanOrEqual(canvas.height);
              expect(r.width).toBeGreaterThan(0);
            }
            expect(overlaps(l.tiles.values())).toBe(false);
          });
        }
      }
    }
    it("grid: two stacked, four as 2x2, six in two columns of three", () => {
      const canvas = { width: 360, height: 640 };
      expect([...layoutOf({ layout: "grid" }, ["a", "b"], undefined, canvas).tiles.values()]).toEqual([
        { x: 0, y: 0, width: 360, height: 320 },
        { x: 0, y: 320, width: 360, height: 320 },
      ]);
      const six = [...layoutOf({ layout: "grid" }, ids.concat(["e", "f"]), undefined, canvas).tiles.values()];
      expect(new Set(six.map((r) => `${r.width}x${r.height}`))).toEqual(new Set(["180x214", "180x212"]));
    });
    it("speaker: the speaker large on top, the others in a strip below sharing the width; pin holds", () => {
      const canvas = { width: 360, height: 640 };
      const l = layoutOf({ layout: "speaker" }, ids, "c", canvas);
      expect(l.tiles.get("c")).toEqual({ x: 0, y: 0, width: 360, height: 512 });
      for (const id of ["a", "b", "d"]) expect(l.tiles.get(id)).toMatchObject({ y: 512, width: 120, height: 128 });
      expect(layoutOf({ layout: "pin", pin: "b" }, ids, "c", canvas).tiles.get("b")).toEqual({ x: 0, y: 0, width: 360, height: 512 });
    });
  });
});
