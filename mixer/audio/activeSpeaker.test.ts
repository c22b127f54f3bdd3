import { describe, expect, it } from "vitest";
import { ActiveSpeakerDetector } from "./activeSpeaker.js";
import { dbovFromHeader, levelDbov, SILENCE_DBOV } from "./audioLevel.js";

const LOUD = -15;
const SPEECH = -30;
const NOISE = -60;

/** Feeds 20 ms ticks of constant levels for `ms`; returns every speaker change with its time. */
function run(
  d: ActiveSpeakerDetector,
  levels: Record<string, number>,
  from: number,
  ms: number,
): { at: number; speaker: string | undefined }[] {
  const changes: { at: number; speaker: string | undefined }[] = [];
  for (let t = from; t < from + ms; t += 20) {
    for (const [id, level] of Object.entries(levels)) d.observe(id, level, t);
    if (d.decide(t)) changes.push({ at: t, speaker: d.speaker });
  }
  return changes;
}

describe("audio level", () => {
  it("measures RMS in dBov and calls zeros silence", () => {
    expect(levelDbov(new Int16Array(960))).toBe(SILENCE_DBOV);
    const square = new Int16Array(960).map((_, i) => (i % 2 ? 16384 : -16384));
    expect(levelDbov(square)).toBeCloseTo(-6.02, 1);
    const sine = new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000)));
    expect(levelDbov(sine)).toBeGreaterThan(-16.5);
    expect(levelDbov(sine)).toBeLessThan(-15);
  });

  it("reads RFC 6464 levels onto the same scale, clamped", () => {
    expect(dbovFromHeader(30)).toBe(-30);
    expect(dbovFromHeader(127)).toBe(-127);
    expect(dbovFromHeader(200)).toBe(-127);
  });
});

describe("active speaker", () => {
  it("silence and noise never win: nobody is chosen", () => {
    const d = new ActiveSpeakerDetector();
    expect(run(d, { a: SILENCE_DBOV, b: NOISE }, 0, 5000)).toEqual([]);
    expect(d.speaker).toBeUndefined();
  });

  it("the first to speak takes the floor after a short takeover, not on a single loud tick", () => {
    const d = new ActiveSpeakerDetector();
    d.observe("a", LOUD, 0);
    d.observe("b", SILENCE_DBOV, 0);
    expect(d.decide(0)).toBe(false);
    // A 20 ms cough, then quiet: its level decays below the threshold before 300 ms have passed.
    expect(run(d, { a: SILENCE_DBOV, b: SILENCE_DBOV }, 20, 1000)).toEqual([]);
    const changes = run(d, { a: SPEECH, b: SILENCE_DBOV }, 2000, 1000);
    expect(changes).toEqual([{ at: 2300, speaker: "a" }]);
  });

  it("holds the speaker for 2 s even when someone else is louder, then switches", () => {
    const d = new ActiveSpeakerDetector();
    expect(run(d, { a: SPEECH, b: SILENCE_DBOV }, 0, 400)).toEqual([{ at: 300, speaker: "a" }]);
    // b shouts from 400 ms: the hold keeps a until 2300 ms (2 s after a took the floor).
    const changes = run(d, { a: SPEECH, b: LOUD }, 400, 3000);
    expect(changes).toEqual([{ at: 2300, speaker: "b" }]);
  });

  it("does not flap when two people alternate faster than the hold", () => {
    const d = new ActiveSpeakerDetector();
    const changes = [];
    for (let t = 0; t < 6000; t += 500) changes.push(...run(d, (t / 500) % 2 ? { a: NOISE, b: SPEECH } : { a: SPEECH, b: NOISE }, t, 500));
    // At most one change per hold period.
    for (let i = 1; i < changes.length; i++) expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(2000);
    expect(changes.length).toBeLessThanOrEqual(3);
  });

  it("bridges pauses between words: a short gap does not hand the floor to a quieter talker", () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: LOUD, b: SILENCE_DBOV }, 0, 2500);
    expect(d.speaker).toBe("a");
    // a pauses for 200 ms while b murmurs just above the threshold.
    expect(run(d, { a: SILENCE_DBOV, b: -45 }, 2500, 200)).toEqual([]);
    expect(run(d, { a: LOUD, b: -45 }, 2700, 1000)).toEqual([]);
  });

  it("keeps the last speaker through silence, and forgets one who leaves", () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: SPEECH, b: SILENCE_DBOV }, 0, 1000);
    expect(run(d, { a: SILENCE_DBOV, b: SILENCE_DBOV }, 1000, 5000)).toEqual([]);
    expect(d.speaker).toBe("a");
    expect(d.remove("b")).toBe(false);
    expect(d.remove("a")).toBe(true);
    expect(d.speaker).toBeUndefined();
  });

  it("after the speaker leaves, the next talker takes the floor without waiting out a hold", () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: SPEECH, b: SILENCE_DBOV }, 0, 500);
    d.remove("a");
    expect(run(d, { b: SPEECH }, 500, 1000)).toEqual([{ at: 800, speaker: "b" }]);
  });
});
