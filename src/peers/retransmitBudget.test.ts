import { describe, expect, it } from "vitest";
import { RetransmitBudget, type RetransmitDecision } from "./retransmitBudget.js";

describe("RetransmitBudget", () => {
  const cases: {
    name: string;
    /** Bit/s sent over the last 500 ms before the decision. */
    sendingBps: number;
    estimateBps: number;
    ageMs: number;
    rttMs?: number;
    retransmissions?: number;
    sinceLastMs?: number;
    expected: RetransmitDecision;
  }[] = [
    { name: "room under the estimate: resend", sendingBps: 500_000, estimateBps: 1_500_000, ageMs: 100, expected: "send" },
    {
      name: "the media already fills the estimate: wait (paced)",
      sendingBps: 1_500_000,
      estimateBps: 400_000,
      ageMs: 100,
      expected: "wait",
    },
    { name: "just over the estimate: wait", sendingBps: 399_000, estimateBps: 400_000, ageMs: 50, expected: "wait" },
    { name: "older than 1 s (and 3 RTT): give up", sendingBps: 0, estimateBps: 2_000_000, ageMs: 1100, rttMs: 200, expected: "give-up" },
    { name: "a long RTT keeps it useful longer", sendingBps: 0, estimateBps: 2_000_000, ageMs: 1100, rttMs: 400, expected: "send" },
    { name: "never older than 2 s", sendingBps: 0, estimateBps: 2_000_000, ageMs: 2100, rttMs: 900, expected: "give-up" },
    {
      name: "resent three times already: give up",
      sendingBps: 0,
      estimateBps: 2_000_000,
      ageMs: 200,
      retransmissions: 3,
      sinceLastMs: 150,
      expected: "give-up",
    },
    {
      name: "resent within one RTT: skip this request",
      sendingBps: 0,
      estimateBps: 2_000_000,
      ageMs: 200,
      rttMs: 160,
      retransmissions: 1,
      sinceLastMs: 100,
      expected: "skip",
    },
    {
      name: "resent over one RTT ago: resend",
      sendingBps: 0,
      estimateBps: 2_000_000,
      ageMs: 250,
      rttMs: 80,
      retransmissions: 1,
      sinceLastMs: 100,
      expected: "send",
    },
    {
      name: "RTT not known yet: a repeated request is resent",
      sendingBps: 0,
      estimateBps: 2_000_000,
      ageMs: 60,
      retransmissions: 1,
      sinceLastMs: 5,
      expected: "send",
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const budget = new RetransmitBudget();
      const now = 10_000;
      // The sending rate as 50 evenly spaced packets over the last 500 ms.
      for (let i = 0; i < 50; i++) budget.noteSent(((c.sendingBps / 8) * 0.5) / 50, now - 490 + i * 10);
      const decision = budget.decide(
        { sentAtMs: now - c.ageMs, bytes: 1200, retransmissions: c.retransmissions ?? 0, lastRetransmitMs: now - (c.sinceLastMs ?? 0) },
        c.estimateBps,
        c.rttMs,
        now,
      );
      expect(decision).toBe(c.expected);
    });
  }

  it("measures the sending rate over its window only", () => {
    const budget = new RetransmitBudget({ windowMs: 500 });
    budget.noteSent(100_000, 0);
    for (let t = 1000; t < 1500; t += 10) budget.noteSent(1250, t);
    expect(budget.sendRateBps(1499)).toBeCloseTo(1_000_000, -4);
    expect(budget.sendRateBps(5000)).toBe(0);
  });
});
