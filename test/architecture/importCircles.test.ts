import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importCircles, importGraph } from "./importGraph.js";

const root = join(import.meta.dirname, "../..");

describe("import circles", () => {
  it("no file of the product imports itself back through others (type-only imports count)", () => {
    expect(importCircles(importGraph(root, ["src", "mixer", "protocol", "client"]))).toEqual([]);
  });

  it("finds a circle when there is one", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
    ]);
    expect(importCircles(graph)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });
});
