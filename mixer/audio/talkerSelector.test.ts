import { describe, expect, it } from "vitest";
import { SILENCE_DBOV } from "./audioLevel.js";
import { TalkDetector, TalkerSelector } from "./talkerSelector.js";

/** One tick: every input's level, the talking ones as a TalkDetector per input says. Returns the mix, sorted. */
function tick(selector: TalkerSelector, detectors: Map<string, TalkDetector>, levels: Record<string, number>, now: number): string[] {
  const talking: string[] = [];
  for (const [id, dbov] of Object.entries(levels)) {
    let d = detectors.get(id);
    if (!d) detectors.set(id, (d = new TalkDetector()));
    d.heard(dbov, now);
    selector.observe(id, dbov, now);
    if (d.talking(now)) talking.push(id);
  }
  return [...selector.select(talking)].sort();
}

describe("talker selection", () => {
  it("talking starts with the first level above the threshold and ends a hangover after the last", () => {
    const d = new TalkDetector({ thresholdDbov: -50, hangoverMs: 500 });
    expect(d.talking(0)).toBe(false);
    d.heard(-60, 0);
    expect(d.talking(0)).toBe(false);
    d.heard(-30, 100);
    expect(d.talking(100)).toBe(true);
    d.heard(SILENCE_DBOV, 120);
    expect(d.talking(599)).toBe(true);
    expect(d.talking(600)).toBe(false);
  });

  it("mixes nobody while nobody talks, and a talker from the very tick they start", () => {
    const s = new TalkerSelector();
    const d = new Map<string, TalkDetector>();
    for (let t = 0; t < 1000; t += 20) expect(tick(s, d, { a: SILENCE_DBOV, b: -60, c: SILENCE_DBOV }, t)).toEqual([]);
    expect(tick(s, d, { a: -30, b: -60, c: SILENCE_DBOV }, 1000)).toEqual(["a"]);
  });

  it("mixes at most the three loudest of five talkers", () => {
    const s = new TalkerSelector();
    const d = new Map<string, TalkDetector>();
    const levels = { a: -40, b: -20, c: -45, d: -25, e: -30 };
    // All start on the same tick: the loudest three take the places.
    expect(tick(s, d, levels, 0)).toEqual(["b", "d", "e"]);
    for (let t = 20; t < 2000; t += 20) expect(tick(s, d, levels, t)).toEqual(["b", "d", "e"]);
  });

  it("keeps a talker's place against one slightly louder, gives it to one clearly louder", () => {
    const s = new TalkerSelector();
    const d = new Map<string, TalkDetector>();
    for (let t = 0; t < 1000; t += 20) tick(s, d, { a: -20, b: -20, c: -30 }, t);
    // d is 3 dB louder than c: under the 6 dB margin, c keeps its place.
    for (let t = 1000; t < 2000; t += 20) expect(tick(s, d, { a: -20, b: -20, c: -30, d: -27 }, t)).toEqual(["a", "b", "c"]);
    // e is 10 dB louder than c, the quietest: e takes c's place on its first tick, and d still does not.
    expect(tick(s, d, { a: -20, b: -20, c: -30, d: -27, e: -20 }, 2000)).toEqual(["a", "b", "e"]);
  });

  it("frees a place a hangover after a talker stops, for the next one waiting", () => {
    const s = new TalkerSelector();
    const d = new Map<string, TalkDetector>();
    for (let t = 0; t < 1000; t += 20) tick(s, d, { a: -20, b: -20, c: -30, d: SILENCE_DBOV }, t);
    const changes: { at: number; mix: string[] }[] = [];
    let last = "";
    for (let t = 1000; t < 2000; t += 20) {
      const mix = tick(s, d, { a: -20, b: -20, c: SILENCE_DBOV, d: -28 }, t);
      if (mix.join() !== last) changes.push({ at: t, mix });
      last = mix.join();
    }
    // c said its last word at 980: its silence counts as a pause between words until 1460, and a pause does not
    // lower its rank, so d (2 dB louder, not clearly) waits; d takes the place at 1480.
    expect(changes).toEqual([
      { at: 1000, mix: ["a", "b", "c"] },
      { at: 1480, mix: ["a", "b", "d"] },
    ]);
  });

  it("a talker who leaves gives up their place at once", () => {
    const s = new TalkerSelector();
    const d = new Map<string, TalkDetector>();
    tick(s, d, { a: -20, b: -20, c: -20, d: -20 }, 0);
    expect([...s.current].sort()).toEqual(["a", "b", "c"]);
    s.remove("b");
    d.delete("b");
    expect(tick(s, d, { a: -20, c: -20, d: -20 }, 20)).toEqual(["a", "c", "d"]);
  });
});
