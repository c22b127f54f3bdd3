import { describe, expect, it } from "vitest";
import { accumulate, mixMinus } from "./mixMinus.js";
import { SampleFifo } from "./sampleFifo.js";

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

describe("sample fifo", () => {
  it("waits for the prefill, then serves exact counts across chunks", () => {
    const fifo = new SampleFifo({ prefill: 4, maxSamples: 100 });
    fifo.push(Int16Array.from([1, 2, 3]));
    expect(fifo.pull(2)).toBeUndefined();
    fifo.push(Int16Array.from([4, 5]));
    expect([...fifo.pull(2)!]).toEqual([1, 2]);
    expect([...fifo.pull(3)!]).toEqual([3, 4, 5]);
    expect(fifo.pull(1)).toBeUndefined();
    expect(fifo.underruns).toBe(1);
  });

  it("drops the oldest samples when over the cap", () => {
    const fifo = new SampleFifo({ prefill: 2, maxSamples: 5 });
    fifo.push(Int16Array.from([1, 2, 3, 4]));
    fifo.push(Int16Array.from([5, 6]));
    expect(fifo.buffered).toBe(2);
    expect([...fifo.pull(2)!]).toEqual([5, 6]);
  });

  it("drops standing delay a burst left behind, keeping the newest samples, and never a level that only wobbled", () => {
    const fifo = new SampleFifo({ prefill: 4, maxSamples: 100, trimWindowPulls: 5 });
    // A burst after a stall: 12 samples where the prefill wants 4; afterwards 2 arrive per 2 pulled.
    fifo.push(Int16Array.from({ length: 12 }, (_, i) => i));
    let next = 12;
    const steady = () => fifo.push(Int16Array.from([next++, next++]));
    for (let i = 0; i < 4; i++) {
      expect(fifo.pull(2)).toBeDefined();
      steady();
    }
    expect(fifo.buffered).toBe(12);
    // The fifth pull ends the window: its lowest level was 12, 8 of which no jitter needed.
    fifo.pull(2);
    expect(fifo.trimmed).toBe(8);
    expect(fifo.buffered).toBe(2);
    steady();
    // What is left is the newest audio: the samples that arrived last, in order.
    expect([...fifo.pull(2)!]).toEqual([18, 19]);

    // Jitter: one packet a window comes a tick late and the next two together. The level wobbles about
    // the prefill and is never trimmed, and every sample comes out in order.
    let expected = 20;
    for (let tick = 0; tick < 20; tick++) {
      if (tick % 5 !== 2) steady();
      if (tick % 5 === 3) steady();
      const pulled = fifo.pull(2);
      if (pulled) expect([...pulled]).toEqual([expected++, expected++]);
    }
    expect(fifo.trimmed).toBe(8);
  });
});
