import { describe, expect, it } from "vitest";
import { KeyframeRequester } from "./keyframeRequester.js";

describe("keyframe requester", () => {
  it("sends at once, then backs off exponentially up to the cap", () => {
    const sent: number[] = [];
    let now = 0;
    const r = new KeyframeRequester({ minIntervalMs: 100, maxIntervalMs: 400 }, () => sent.push(now));
    r.request(now);
    for (now = 0; now <= 1500; now += 10) r.poll(now);
    expect(sent).toEqual([0, 100, 300, 700, 1100, 1500]);
  });

  it("stops when a keyframe arrives and starts fresh after", () => {
    const sent: number[] = [];
    let now = 0;
    const r = new KeyframeRequester({ minIntervalMs: 100, maxIntervalMs: 1000 }, () => sent.push(now));
    r.request(0);
    now = 100;
    r.poll(now);
    r.keyframeArrived();
    for (now = 100; now < 1000; now += 10) r.poll(now);
    expect(sent).toEqual([0, 100]);
    now = 1000;
    r.request(now);
    expect(sent).toEqual([0, 100, 1000]);
  });
});
