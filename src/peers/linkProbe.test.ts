import { describe, expect, it } from "vitest";
import { LinkProbe } from "./linkProbe.js";

const PACKET = 1000;

/**
 * A probe of 500 ms at `targetBps` through a bottleneck of `capacityBps` (a tbf: a queue drained at that rate,
 * 6 KB of burst, dropping what would wait over 200 ms), feedback every 100 ms with `oneWayMs` of delay; every
 * `lossEvery`-th packet lost on top. Returns the verdict and when it came.
 */
function probeThrough(targetBps: number, capacityBps: number, oneWayMs = 40, lossEvery = 0, jitterEvery = 0) {
  const probe = new LinkProbe({ targetBps, neededBps: targetBps / 1.3, startMs: 0, durationMs: 500 });
  const gap = (PACKET * 8 * 1000) / targetBps;
  let bucket = 6000;
  let lastT = 0;
  let linkFreeAt = 0;
  const sent: { at: number; arrived: number | undefined }[] = [];
  for (let t = 0; t <= 500; t += gap) {
    if (!probe.sending(t)) break;
    probe.noteSent(PACKET, t);
    bucket = Math.min(6000, bucket + ((t - lastT) * capacityBps) / 8000);
    lastT = t;
    let arrived: number | undefined;
    if (bucket >= PACKET && linkFreeAt <= t) {
      bucket -= PACKET;
      arrived = t + oneWayMs;
    } else {
      const start = Math.max(t, linkFreeAt);
      const wait = start - t;
      if (wait <= 200) {
        linkFreeAt = start + (PACKET * 8 * 1000) / capacityBps;
        arrived = linkFreeAt + oneWayMs;
      }
    }
    if (lossEvery > 0 && sent.length % lossEvery === lossEvery - 1) arrived = undefined;
    // A busy receiver or relay: some packets 60 ms late, and the last ones too (no queue: nothing after them waits).
    if (jitterEvery > 0 && arrived !== undefined && (sent.length % jitterEvery === 0 || t > 480)) arrived += 60;
    sent.push({ at: t, arrived });
  }
  const reported = new Set<number>();
  for (let now = 100; now <= 2000; now += 100) {
    // Each packet once: when it arrived, or (lost) once it should have.
    const due = sent
      .map((p, i) => ({ ...p, i }))
      .filter((p) => !reported.has(p.i) && (p.arrived !== undefined ? p.arrived <= now : p.at <= now - oneWayMs));
    for (const p of due) reported.add(p.i);
    probe.deliveries(
      due.map((p) => ({ bytes: PACKET, sentAtMs: p.at, arrivedAtMs: p.arrived })),
      oneWayMs,
    );
    const verdict = probe.verdict(now, 2 * oneWayMs);
    if (verdict) return { ...verdict, at: now };
  }
  return undefined;
}

describe("LinkProbe", () => {
  const cases = [
    { name: "a free link carries the probe", target: 765_000, capacity: 10_000_000, ok: true },
    { name: "a free link carries a 720p probe (2 Mbit/s)", target: 2_294_000, capacity: 10_000_000, ok: true },
    { name: "the relay's 1 % random loss does not fail it", target: 765_000, capacity: 10_000_000, lossEvery: 100, ok: true },
    {
      name: "a busy machine's jitter (stragglers 60 ms late, the last packets among them) does not fail a 720p probe",
      target: 2_294_000,
      capacity: 10_000_000,
      jitterEvery: 7,
      ok: true,
    },
    { name: "a 400 kbit/s bottleneck fails a 360p probe", target: 765_000, capacity: 400_000, ok: false },
    {
      name: "a 400 kbit/s bottleneck fails a 720p probe early (before the window ends)",
      target: 2_294_000,
      capacity: 400_000,
      ok: false,
      before: 500,
    },
    // Resolution: 300 ms through a 6 KB burst reads a 560 kbit/s link as ~610 kbit/s; one 20 % short fails.
    { name: "a link 20 % short of the rung fails it", target: 765_000, capacity: 470_000, ok: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = probeThrough(c.target, c.capacity, 40, c.lossEvery ?? 0, c.jitterEvery ?? 0);
      expect(verdict, "a verdict within 2 s").toBeDefined();
      expect(verdict!.ok, JSON.stringify(verdict)).toBe(c.ok);
      if (c.before) expect(verdict!.at).toBeLessThan(c.before);
    });
  }

  it("a probe whose feedback never comes fails", () => {
    const probe = new LinkProbe({ targetBps: 676_000, neededBps: 588_000, startMs: 0, durationMs: 500 });
    for (let t = 0; t < 500; t += 12) probe.noteSent(1000, t);
    expect(probe.verdict(600, 100)).toBeUndefined();
    expect(probe.verdict(1100, 100), "waits a second for late feedback").toBeUndefined();
    expect(probe.verdict(1600, 100)).toMatchObject({ ok: false, reason: "no feedback" });
  });
});
