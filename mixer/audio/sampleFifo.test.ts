import { describe, expect, it } from "vitest";
import { SampleFifo } from "./sampleFifo.js";

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
