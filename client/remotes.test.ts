import { describe, expect, it } from "vitest";
import { gridColumns } from "./remotes.js";

describe("remote video grid", () => {
  it("is as square as possible", () => {
    expect([0, 1, 2, 3, 4, 5, 9, 10, 16].map(gridColumns)).toEqual([1, 1, 2, 2, 2, 3, 3, 4, 4]);
  });
});
