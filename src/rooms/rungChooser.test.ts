import { describe, expect, it } from "vitest";
import { renditionLadder } from "../../mixer/video/renditionLadder.js";
import { RungChooser, type DisplayBox, type ProbeOutcome } from "./rungChooser.js";

const ladder = renditionLadder({ width: 1280, height: 720, bitrate: 1_500_000 });
const desktop: DisplayBox = { width: 1280, height: 720, pixelRatio: 1, orientation: "landscape" };

/**
 * One step of a scenario: at `t` ms an estimate (bps) or a display arrives, then the chooser is asked for a
 * probe and, when it wants one, `probe` is how it ends (the link carried `bps`); `want` is the rung after it
 * ("paused" or WxH), with "+probe@<kbit/s>" when a probe was asked for at that rate.
 */
type Step = { t: number; bps?: number; display?: DisplayBox; probe?: ProbeOutcome; want: string };

function run(steps: Step[]): string[] {
  const c = new RungChooser(ladder);
  return steps.map((s) => {
    let choice = c.choice;
    if (s.display) choice = c.setDisplay(s.display, s.t);
    if (s.bps !== undefined) choice = c.setEstimate(s.bps, s.t);
    let probed = "";
    if (s.probe) {
      const request = c.probeWanted(s.t);
      if (request) {
        probed = `+probe@${Math.round(request.targetBps / 1000)}`;
        choice = c.probeDone(s.probe, s.probe === "passed" ? request.targetBps : undefined, s.t);
      }
    }
    return (choice.paused ? "paused" : `${choice.rung.width}x${choice.rung.height}`) + probed;
  });
}

const cases: { name: string; steps: Step[] }[] = [
  { name: "the ladder", steps: [] },
  {
    name: "starts at the largest rung the display shows, before any estimate",
    steps: [{ t: 0, display: desktop, want: "1280x720" }],
  },
  {
    name: "goes down at once, as far as the estimate needs",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 400_000, want: "320x180" },
    ],
  },
  {
    name: "goes up only after a probe at the next rung's rate (588 kbit/s needed, 30 % more sent) passed; the estimate alone never moves it up",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 400_000, probe: "passed", want: "320x180" },
      { t: 1000, bps: 3_000_000, want: "320x180" },
      { t: 5400, bps: 3_000_000, probe: "passed", want: "320x180" },
      { t: 30_000, bps: 3_000_000, want: "320x180" },
      { t: 30_000, bps: 3_000_000, probe: "passed", want: "640x360+probe@765" },
    ],
  },
  {
    name: "after a move down the first probe comes 10 s later; a failed one holds the rung and is tried again 5 s later; after a move up the next probe comes 2 s later",
    steps: [
      { t: 0, display: desktop, bps: 400_000, want: "320x180" },
      { t: 9900, bps: 2_000_000, probe: "failed", want: "320x180" },
      { t: 10_000, bps: 2_000_000, probe: "failed", want: "320x180+probe@765" },
      { t: 14_900, bps: 2_000_000, probe: "failed", want: "320x180" },
      { t: 15_000, bps: 2_000_000, probe: "passed", want: "640x360+probe@765" },
      { t: 16_900, bps: 2_000_000, probe: "passed", want: "640x360" },
      { t: 17_000, bps: 2_000_000, probe: "passed", want: "1280x720+probe@2294" },
      { t: 25_000, bps: 3_000_000, probe: "passed", want: "1280x720" },
    ],
  },
  {
    name: "a probe whose feedback did not come (a starved machine) is tried again 2 s later, not 5",
    steps: [
      { t: 0, display: desktop, bps: 400_000, want: "320x180" },
      { t: 10_000, bps: 2_000_000, probe: "inconclusive", want: "320x180+probe@765" },
      { t: 11_900, bps: 2_000_000, probe: "passed", want: "320x180" },
      { t: 12_000, bps: 2_000_000, probe: "passed", want: "640x360+probe@765" },
    ],
  },
  {
    name: "without probes (no transport-cc): up one rung after 10 s of headroom, and a dip restarts the wait",
    steps: [
      { t: 0, display: desktop, bps: 700_000, want: "640x360" },
      { t: 10_000, bps: 700_000, probe: "unavailable", want: "640x360+probe@2294" },
      { t: 1000, bps: 3_000_000, want: "640x360" },
      { t: 6000, bps: 3_000_000, want: "640x360" },
      { t: 6500, bps: 1_000_000, want: "640x360" },
      { t: 7000, bps: 3_000_000, want: "640x360" },
      { t: 16_900, bps: 3_000_000, want: "640x360" },
      { t: 17_000, bps: 3_000_000, want: "1280x720" },
    ],
  },
  {
    name: "below the lowest rung: on it at once, paused after 2 s still below it (a probe at its rate failed), resumes after 3 s of headroom, then climbs after a probe",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 100_000, want: "320x180" },
      { t: 1000, bps: 100_000, probe: "failed", want: "320x180+probe@229" },
      { t: 2400, bps: 100_000, want: "320x180" },
      { t: 2500, bps: 100_000, want: "paused" },
      { t: 3000, bps: 200_000, want: "paused" },
      { t: 5900, bps: 200_000, want: "paused" },
      { t: 6000, bps: 3_000_000, want: "320x180" },
      { t: 6500, bps: 3_000_000, want: "320x180" },
      { t: 8000, bps: 3_000_000, probe: "passed", want: "640x360+probe@765" },
    ],
  },
  {
    name: "below the lowest rung, a probe at its rate that passes keeps the video going",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 100_000, probe: "passed", want: "320x180+probe@229" },
      { t: 1500, bps: 229_000, want: "320x180" },
      { t: 4000, bps: 229_000, want: "320x180" },
    ],
  },
  {
    name: "paused, a probe at the lowest rung's rate 3 s later (and 3 s after a failed one) brings the video back (the audio alone carries no transport-cc)",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 100_000, probe: "failed", want: "320x180+probe@229" },
      { t: 2500, bps: 100_000, want: "paused" },
      { t: 5000, bps: 100_000, probe: "passed", want: "paused" },
      { t: 5500, bps: 100_000, probe: "failed", want: "paused+probe@229" },
      { t: 8000, bps: 100_000, probe: "passed", want: "paused" },
      { t: 8500, bps: 100_000, probe: "passed", want: "320x180+probe@229" },
    ],
  },
  {
    name: "paused with no estimate that affords anything, it tries the lowest rung after 15 s (for 2 s)",
    steps: [
      { t: 0, display: desktop, bps: 50_000, want: "320x180" },
      { t: 2000, bps: 50_000, want: "paused" },
      { t: 16_000, bps: 50_000, want: "paused" },
      { t: 17_000, bps: 50_000, want: "320x180" },
      { t: 17_500, bps: 50_000, want: "320x180" },
      { t: 19_500, bps: 50_000, want: "paused" },
    ],
  },
  {
    name: "never more than the display shows, whatever the link; the cap follows the display",
    steps: [
      { t: 0, display: { width: 390, height: 219, pixelRatio: 1, orientation: "landscape" }, bps: 10_000_000, want: "320x180" },
      { t: 1000, display: { width: 390, height: 219, pixelRatio: 2, orientation: "landscape" }, bps: 10_000_000, want: "640x360" },
      { t: 11_000, bps: 10_000_000, want: "640x360" },
      { t: 30_000, bps: 10_000_000, want: "640x360" },
      { t: 31_000, display: { width: 300, height: 169, pixelRatio: 1, orientation: "landscape" }, want: "320x180" },
    ],
  },
  {
    name: "a display that was the limit lifts the rung at once when it grows; a link that was the limit does not",
    steps: [
      { t: 0, display: { width: 390, height: 219, pixelRatio: 1, orientation: "landscape" }, bps: 5_000_000, want: "320x180" },
      { t: 500, display: { width: 1280, height: 720, pixelRatio: 1, orientation: "landscape" }, want: "1280x720" },
      { t: 1000, bps: 700_000, want: "640x360" },
      { t: 1500, display: { width: 1920, height: 1080, pixelRatio: 1, orientation: "landscape" }, want: "640x360" },
      { t: 2000, bps: 5_000_000, want: "640x360" },
    ],
  },
  {
    name: "a box a few pixels short of 720p keeps 720p",
    steps: [{ t: 0, display: { width: 1200, height: 675, pixelRatio: 1, orientation: "landscape" }, bps: 5_000_000, want: "1280x720" }],
  },
  {
    name: "an upright phone gets the portrait ladder, capped by its pixels; turning it goes back to landscape",
    steps: [
      { t: 0, display: { width: 390, height: 693, pixelRatio: 3, orientation: "portrait" }, bps: 5_000_000, want: "540x960" },
      { t: 500, display: { width: 390, height: 693, pixelRatio: 1, orientation: "portrait" }, want: "360x640" },
      { t: 1000, bps: 400_000, want: "180x320" },
      { t: 1500, display: { width: 844, height: 475, pixelRatio: 3, orientation: "landscape" }, want: "320x180" },
    ],
  },
];

describe("RungChooser", () => {
  it("ladder: 1280x720, 640x360, 320x180 and their upright versions, largest first", () => {
    expect(ladder.landscape.map((r) => `${r.width}x${r.height}@${r.bitrate}`)).toEqual([
      "1280x720@1500000",
      "640x360@500000",
      "320x180@150000",
    ]);
    expect(ladder.portrait.map((r) => `${r.width}x${r.height}`)).toEqual(["540x960", "360x640", "180x320"]);
  });
  it("a probe that ends after a move down is not taken for the rung it was run from", () => {
    const c = new RungChooser(ladder);
    c.setDisplay(desktop, 0);
    c.setEstimate(700_000, 0);
    expect(c.probeWanted(9000), "10 s after the move down, not before").toBeUndefined();
    expect(c.probeWanted(10_000)?.neededBps).toBe(1_764_706);
    expect(c.probeWanted(10_000), "one probe at a time").toBeUndefined();
    c.setEstimate(300_000, 10_200);
    const after = c.probeDone("passed", 2_000_000, 10_400);
    expect(after.paused ? "paused" : after.rung.width).toBe(320);
  });
  for (const { name, steps } of cases.slice(1)) {
    it(name, () => {
      expect(run(steps)).toEqual(steps.map((s) => s.want));
    });
  }
});
