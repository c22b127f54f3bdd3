import { describe, expect, it } from "vitest";
import { ReorderBuffer } from "./reorderBuffer.js";

interface P {
  header: { sequenceNumber: number; ssrc?: number };
}
const pkt = (sequenceNumber: number): P => ({ header: { sequenceNumber } });

function harness(maxWaitMs = 50, maxPackets = 100) {
  const out: (number | string)[] = [];
  const buffer = new ReorderBuffer<P>(
    { maxWaitMs, maxPackets },
    {
      packet: (p) => out.push(p.header.sequenceNumber),
      lost: (n) => out.push(`lost ${n}`),
    },
  );
  return { out, buffer };
}

describe("reorder buffer", () => {
  it("starts over on a new SSRC, even one whose numbers lie just behind the old stream's (a sender back on a fresh peer)", () => {
    const { out, buffer } = harness();
    [1000, 1001, 1002].forEach((s) => buffer.push({ header: { sequenceNumber: s, ssrc: 7 } }, 0));
    // Without the restart these would be "late" (behind 1003) and dropped until the new stream caught up.
    [900, 901].forEach((s) => buffer.push({ header: { sequenceNumber: s, ssrc: 8 } }, 1));
    expect(out).toEqual([1000, 1001, 1002, "lost 0", 900, 901]);
    expect(buffer.counters.resets).toBe(1);
  });

  it("passes in-order packets straight through", () => {
    const { out, buffer } = harness();
    [1, 2, 3].forEach((s) => buffer.push(pkt(s), 0));
    expect(out).toEqual([1, 2, 3]);
  });

  it("restores order when a packet arrives late within the wait", () => {
    const { out, buffer } = harness();
    [10, 12, 13, 11, 14].forEach((s, i) => buffer.push(pkt(s), i));
    expect(out).toEqual([10, 11, 12, 13, 14]);
  });

  it("orders across the 16-bit wrap", () => {
    const { out, buffer } = harness();
    [65534, 0, 65535, 1].forEach((s) => buffer.push(pkt(s), 0));
    expect(out).toEqual([65534, 65535, 0, 1]);
  });

  it("gives up on a gap after maxWaitMs, reports the loss, and drops the straggler", () => {
    const { out, buffer } = harness(50);
    buffer.push(pkt(1), 0);
    buffer.push(pkt(4), 10);
    buffer.push(pkt(5), 20);
    buffer.poll(40);
    expect(out).toEqual([1]);
    buffer.poll(60);
    expect(out).toEqual([1, "lost 2", 4, 5]);
    buffer.push(pkt(2), 70);
    expect(out).toEqual([1, "lost 2", 4, 5]);
    expect(buffer.counters.late).toBe(1);
  });

  it("skips at once when too many packets are held", () => {
    const { out, buffer } = harness(10_000, 3);
    [1, 3, 4, 5, 6].forEach((s) => buffer.push(pkt(s), 0));
    expect(out).toEqual([1, "lost 1", 3, 4, 5, 6]);
  });

  it("drops duplicates", () => {
    const { out, buffer } = harness();
    [1, 3, 3, 2, 2].forEach((s) => buffer.push(pkt(s), 0));
    expect(out).toEqual([1, 2, 3]);
    expect(buffer.counters.duplicates).toBe(1);
  });

  it("starts over when the sender jumps to a new sequence", () => {
    const { out, buffer } = harness();
    [100, 101, 40000, 40001].forEach((s) => buffer.push(pkt(s), 0));
    expect(out).toEqual([100, 101, 40000, 40001]);
    expect(buffer.counters.resets).toBe(1);
  });

  it("stays cheap under heavy loss (bounded held set)", () => {
    const { buffer } = harness(30, 64);
    const start = performance.now();
    for (let s = 0, t = 0; s < 200_000; s++, t += 0.1) {
      if (s % 10 === 3) continue; // 10 % loss, never recovered
      buffer.push(pkt(s & 0xffff), t);
      buffer.poll(t);
    }
    expect(buffer.counters.delivered + buffer.heldCount).toBe(180_000);
    expect(buffer.heldCount).toBeLessThanOrEqual(64);
    expect(buffer.counters.lost).toBeGreaterThan(19_000);
    // Not a timing assertion: only a guard against an accidental quadratic (which takes minutes here).
    expect(performance.now() - start).toBeLessThan(20_000);
  });
});
