import { describe, expect, it } from "vitest";
import { LinkEstimator, type DeliveryReport } from "./linkEstimator.js";

const OPTIONS = { initialBps: 1_500_000, minBps: 100_000, maxBps: 3_000_000 };
const PACKET_BYTES = 1200;

interface Phase {
  /** What we send, bit/s. */
  sendBps: number;
  /** The bottleneck (a tbf: a queue drained at this rate, dropping what would wait over `queueMs`). */
  capacityBps: number;
  durationMs: number;
  /** Every n-th packet lost at random on top (the relay's 1 %: 100). */
  lossEvery?: number;
  /** Extra delay, ms, on every packet of each second's first half (a busy receiver's jitter: no queue, no loss). */
  jitterMs?: number;
  queueMs?: number;
}

/** Replays phases through a modelled bottleneck; transport-cc feedback every 100 ms, as Chromium sends it. */
function run(estimator: LinkEstimator, phases: Phase[]): number {
  let now = 0;
  let linkFreeAt = 0;
  let n = 0;
  let batch: DeliveryReport[] = [];
  let nextFeedback = 100;
  for (const phase of phases) {
    const end = now + phase.durationMs;
    const gapMs = (PACKET_BYTES * 8 * 1000) / phase.sendBps;
    for (let t = now; t < end; t += gapMs) {
      n++;
      const start = Math.max(t, linkFreeAt);
      const dropped = start - t > (phase.queueMs ?? 250) || (phase.lossEvery !== undefined && n % phase.lossEvery === 0);
      let arrivedAtMs: number | undefined;
      if (!dropped) {
        linkFreeAt = start + (PACKET_BYTES * 8 * 1000) / phase.capacityBps;
        // The receiver's clock runs 5 s off ours: only differences of delay may matter.
        arrivedAtMs = linkFreeAt + 40 + 5000 + (phase.jitterMs !== undefined && t % 1000 < 500 ? phase.jitterMs : 0);
      }
      batch.push({ bytes: PACKET_BYTES, sentAtMs: t, arrivedAtMs });
      if (t >= nextFeedback) {
        estimator.deliveries(batch, t + 40);
        batch = [];
        nextFeedback += 100;
      }
    }
    now = end;
  }
  return now;
}

describe("LinkEstimator", () => {
  const cases: { name: string; phases: Phase[]; after?: (e: LinkEstimator, now: number) => void; min: number; max: number }[] = [
    { name: "no feedback yet: the initial rate", phases: [], min: 1_500_000, max: 1_500_000 },
    {
      name: "a clean link with room grows toward the ceiling",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 10_000 }],
      min: 2_900_000,
      max: 3_000_000,
    },
    {
      name: "1 % random loss (below GCC's 2 %) still grows",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 10_000, lossEvery: 100 }],
      min: 2_500_000,
      max: 3_000_000,
    },
    {
      name: "a small rung's stream (60 kbit/s) with 1 % random loss is not cut by one lost packet in 200 ms",
      phases: [{ sendBps: 60_000, capacityBps: 400_000, durationMs: 20_000, lossEvery: 100 }],
      min: 1_500_000,
      max: 3_000_000,
    },
    {
      name: "5 % loss holds (GCC's 2-10 % band)",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 5_000, lossEvery: 20 }],
      min: 1_400_000,
      max: 1_600_000,
    },
    {
      name: "1.5 Mbit/s into a 400 kbit/s tbf falls to about the link within 2 s",
      phases: [{ sendBps: 1_500_000, capacityBps: 400_000, durationMs: 2_000 }],
      min: 150_000,
      max: 450_000,
    },
    {
      name: "and stays near it while the link stays shaped",
      phases: [{ sendBps: 1_500_000, capacityBps: 400_000, durationMs: 20_000 }],
      min: 100_000,
      max: 520_000,
    },
    {
      name: "jitter of 300 ms with everything delivered (a busy machine) does not cut it",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 10_000, jitterMs: 300 }],
      min: 2_000_000,
      max: 3_000_000,
    },
    {
      name: "a queue that fills without loss (deep buffer) also cuts it",
      phases: [{ sendBps: 1_500_000, capacityBps: 1_000_000, durationMs: 2_000, queueMs: 5_000 }],
      min: 100_000,
      max: 1_000_000,
    },
    {
      name: "after the link is freed it climbs back to 1.5 Mbit/s within 15 s",
      phases: [
        { sendBps: 1_500_000, capacityBps: 400_000, durationMs: 5_000 },
        { sendBps: 300_000, capacityBps: 10_000_000, durationMs: 15_000 },
      ],
      min: 1_500_000,
      max: 3_000_000,
    },
    {
      name: "a REMB caps it",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 3_000 }],
      after: (e, now) => e.receiverEstimate(600_000, now),
      min: 600_000,
      max: 600_000,
    },
    {
      name: "a stale REMB no longer binds",
      phases: [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 100 }],
      after: (e) => e.receiverEstimate(600_000, -10_000),
      min: 1_500_000,
      max: 3_000_000,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const estimator = new LinkEstimator(OPTIONS);
      const now = run(estimator, c.phases);
      c.after?.(estimator, now);
      const { availableBps } = estimator.estimate(now);
      expect(availableBps).toBeGreaterThanOrEqual(c.min);
      expect(availableBps).toBeLessThanOrEqual(c.max);
    });
  }

  const reportCases: {
    name: string;
    reports: [fraction: number, rtt: number | undefined][];
    min: number;
    max: number;
    rtt: number | undefined;
  }[] = [
    {
      name: "receiver reports alone: 30 % loss cuts it",
      reports: [
        [0.3, 160],
        [0.3, 170],
        [0.3, 150],
      ],
      min: 850_000,
      max: 1_000_000,
      rtt: 150,
    },
    {
      name: "receiver reports alone: 5 % loss holds",
      reports: [
        [0.05, 90],
        [0.05, 90],
      ],
      min: 1_500_000,
      max: 1_500_000,
      rtt: 90,
    },
    { name: "no RTT until a report carries one", reports: [[0, undefined]], min: 1_500_000, max: 3_000_000, rtt: undefined },
    {
      name: "never below the floor",
      reports: Array.from({ length: 30 }, () => [0.9, 100] as [number, number]),
      min: 100_000,
      max: 100_000,
      rtt: 100,
    },
  ];

  for (const c of reportCases) {
    it(c.name, () => {
      const estimator = new LinkEstimator(OPTIONS);
      let now = 0;
      for (const [fraction, rtt] of c.reports) estimator.receiverReport(fraction, rtt, (now += 1000));
      const estimate = estimator.estimate(now);
      expect(estimate.availableBps).toBeGreaterThanOrEqual(c.min);
      expect(estimate.availableBps).toBeLessThanOrEqual(c.max);
      expect(estimate.rttMs).toBe(c.rtt);
    });
  }

  it("reports smoothed loss", () => {
    const estimator = new LinkEstimator(OPTIONS);
    const now = run(estimator, [{ sendBps: 1_000_000, capacityBps: 10_000_000, durationMs: 5_000, lossEvery: 10 }]);
    const { lossFraction } = estimator.estimate(now);
    expect(lossFraction).toBeGreaterThan(0.05);
    expect(lossFraction).toBeLessThan(0.15);
  });
});
