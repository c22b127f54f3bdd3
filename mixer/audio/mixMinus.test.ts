import { describe, expect, it } from "vitest";
import { accumulate, mixMinus } from "./mixMinus.js";

describe("mix-minus", () => {
  it("gives each listener everyone but themselves", () => {
    const a = Int16Array.from([100, -200, 300]);
    const b = Int16Array.from([10, 20, 30]);
    const c = Int16Array.from([1, 2, 3]);
    const total = new Int32Array(3);
    [a, b, c].forEach((s) => accumulate(total, s));
    expect([...mixMinus(total, a)]).toEqual([11, 22, 33]);
    expect([...mixMinus(total, b)]).toEqual([101, -198, 303]);
    expect([...mixMinus(total, undefined)]).toEqual([111, -178, 333]);
  });

  it("clips the sum instead of wrapping", () => {
    const loud = Int16Array.from([30000, -30000]);
    const total = new Int32Array(2);
    accumulate(total, loud);
    accumulate(total, loud);
    accumulate(total, Int16Array.from([5, 5]));
    expect([...mixMinus(total, Int16Array.from([5, 5]))]).toEqual([32767, -32768]);
    // Subtracting your own voice happens before clipping, so a loud talker does not distort what others hear of the rest.
    expect([...mixMinus(total, loud)]).toEqual([30005, -29995]);
  });
});
