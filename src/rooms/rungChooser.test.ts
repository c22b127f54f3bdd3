import { describe, expect, it } from "vitest";
import { renditionLadder } from "../../mixer/video/renditionLadder.js";
import { RungChooser, type DisplayBox } from "./rungChooser.js";

const ladder = renditionLadder({ width: 1280, height: 720, bitrate: 1_500_000 });
const desktop: DisplayBox = { width: 1280, height: 720, pixelRatio: 1, orientation: "landscape" };

/** One step of a scenario: at `t` ms an estimate (bps) or a display arrives; `want` is the rung after it ("paused" or WxH). */
type Step = { t: number; bps?: number; display?: DisplayBox; want: string };

function run(steps: Step[]): string[] {
  const c = new RungChooser(ladder);
  return steps.map((s) => {
    let choice = c.choice;
    if (s.display) choice = c.setDisplay(s.display, s.t);
    if (s.bps !== undefined) choice = c.setEstimate(s.bps, s.t);
    return choice.paused ? "paused" : `${choice.rung.width}x${choice.rung.height}`;
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
    name: "goes up one rung only after 10 s of headroom, and a dip restarts the wait",
    steps: [
      { t: 0, display: desktop, bps: 700_000, want: "640x360" },
      { t: 1000, bps: 3_000_000, want: "640x360" },
      { t: 6000, bps: 3_000_000, want: "640x360" },
      { t: 6500, bps: 1_000_000, want: "640x360" },
      { t: 7000, bps: 3_000_000, want: "640x360" },
      { t: 16_900, bps: 3_000_000, want: "640x360" },
      { t: 17_000, bps: 3_000_000, want: "1280x720" },
    ],
  },
  {
    name: "pauses below the lowest rung and resumes after 3 s at the lowest, then climbs",
    steps: [
      { t: 0, display: desktop, bps: 3_000_000, want: "1280x720" },
      { t: 500, bps: 100_000, want: "paused" },
      { t: 1000, bps: 200_000, want: "paused" },
      { t: 3900, bps: 200_000, want: "paused" },
      { t: 4000, bps: 3_000_000, want: "320x180" },
      { t: 4500, bps: 3_000_000, want: "320x180" },
      { t: 14_500, bps: 3_000_000, want: "640x360" },
    ],
  },
  {
    name: "paused with no estimate that affords anything, it tries the lowest rung after 15 s",
    steps: [
      { t: 0, display: desktop, bps: 50_000, want: "paused" },
      { t: 14_000, bps: 50_000, want: "paused" },
      { t: 15_000, bps: 50_000, want: "320x180" },
      { t: 15_500, bps: 50_000, want: "paused" },
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
    expect(ladder.landscape.map((r) => `${r.width}x${r.height}@${r.bitrate}`)).toEqual(["1280x720@1500000", "640x360@500000", "320x180@150000"]);
    expect(ladder.portrait.map((r) => `${r.width}x${r.height}`)).toEqual(["540x960", "360x640", "180x320"]);
  });
  for (const { name, steps } of cases.slice(1)) {
    it(name, () => {
      expect(run(steps)).toEqual(steps.map((s) => s.want));
    });
  }
});
