import { afterEach, describe, expect, it } from "vitest";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import type { Rect } from "../layout/gridLayout.js";
import { resolveLabelFont } from "./labelFont.js";
import { VideoMixer } from "./videoMixer.js";

const font = resolveLabelFont(undefined);

function mixer(width = 1280, height = 720) {
  const context = testMediaContext();
  const m = new VideoMixer({
    label: "test",
    width,
    height,
    fps: 30,
    bitrate: 500_000,
    keyframeIntervalMs: 2000,
    staleAfterMs: 500,
    context,
    labelFont: font,
  });
  return { m, context };
}

type Op = { join: string } | { screen: string } | { leave: string } | { layout: LayoutChoice } | { speaker: string | undefined };

const area = (r: Rect) => r.width * r.height;

describe("video mixer: the tiles it lays out, and when it says so (no media, no encoder)", () => {
  const open: VideoMixer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.close()));
  });

  /** `choice`: the layout choice as it stands after the ops (what the room's API reports); grid unless said. */
  const cases: { name: string; ops: Op[]; layoutEvents: number; tiles: string[]; largest?: string; choice?: LayoutChoice }[] = [
    { name: "one participant fills the canvas", ops: [{ join: "a" }], layoutEvents: 1, tiles: ["a"] },
    {
      name: "a join re-lays the grid and a leave re-lays it back",
      ops: [{ join: "a" }, { join: "b" }, { leave: "b" }],
      layoutEvents: 3,
      tiles: ["a"],
    },
    { name: "joining twice is one participant, one re-layout", ops: [{ join: "a" }, { join: "a" }], layoutEvents: 1, tiles: ["a"] },
    { name: "someone not in the room leaving changes nothing", ops: [{ join: "a" }, { leave: "z" }], layoutEvents: 1, tiles: ["a"] },
    {
      name: "a new speaker in the grid moves no tile (only the highlight)",
      ops: [{ join: "a" }, { join: "b" }, { speaker: "b" }],
      layoutEvents: 2,
      tiles: ["a", "b"],
    },
    {
      name: "choosing the layout the room already has changes nothing",
      ops: [{ join: "a" }, { join: "b" }, { layout: { layout: "grid" } }],
      layoutEvents: 2,
      tiles: ["a", "b"],
    },
    {
      name: "in the speaker layout the speaker is large, and a new speaker re-lays",
      ops: [{ join: "a" }, { join: "b" }, { join: "c" }, { speaker: "b" }, { layout: { layout: "speaker" } }, { speaker: "c" }],
      layoutEvents: 5,
      tiles: ["a", "b", "c"],
      largest: "c",
      choice: { layout: "speaker" },
    },
    {
      name: "the pinned participant is large whoever speaks",
      ops: [{ join: "a" }, { join: "b" }, { join: "c" }, { layout: { layout: "pin", pin: "b" } }, { speaker: "c" }],
      layoutEvents: 4,
      tiles: ["a", "b", "c"],
      largest: "b",
      choice: { layout: "pin", pin: "b" },
    },
    {
      name: "a pinned participant who leaves: the speaker layout, drawn and reported",
      ops: [{ join: "a" }, { join: "b" }, { join: "c" }, { layout: { layout: "pin", pin: "b" } }, { speaker: "c" }, { leave: "b" }],
      layoutEvents: 5,
      tiles: ["a", "c"],
      largest: "c",
      choice: { layout: "speaker" },
    },
    {
      name: "a shared screen draws the presentation layout, and the choice stands",
      ops: [{ join: "a" }, { join: "b" }, { layout: { layout: "pin", pin: "b" } }, { screen: "s" }],
      layoutEvents: 4,
      tiles: ["a", "b", "s"],
      largest: "s",
      choice: { layout: "pin", pin: "b" },
    },
  ];

  it.each(cases)("$name", ({ ops, layoutEvents, tiles, largest, choice }) => {
    const { m } = mixer();
    open.push(m);
    let events = 0;
    let emitted: ReadonlyMap<string, Rect> | undefined;
    m.on("layout", (t) => {
      events++;
      emitted = t;
    });
    for (const op of ops) {
      if ("join" in op) m.addInput(op.join, op.join.toUpperCase());
      else if ("screen" in op) m.addInput(op.screen, op.screen.toUpperCase(), "screen");
      else if ("leave" in op) void m.removeInput(op.leave);
      else if ("layout" in op) m.setLayout(op.layout);
      else m.setActiveSpeaker(op.speaker);
    }
    expect(events).toBe(layoutEvents);
    expect(m.layoutChoice).toEqual(choice ?? { layout: "grid" });
    expect(emitted).toBe(m.layout);
    expect([...m.layout.keys()].sort()).toEqual(tiles);
    // Every tile inside the canvas, none overlapping another.
    const rects = [...m.layout.values()];
    for (const r of rects) expect(r.x >= 0 && r.y >= 0 && r.x + r.width <= 1280 && r.y + r.height <= 720, JSON.stringify(r)).toBe(true);
    for (const [i, r] of rects.entries()) {
      for (const s of rects.slice(i + 1))
        expect(r.x + r.width <= s.x || s.x + s.width <= r.x || r.y + r.height <= s.y || s.y + s.height <= r.y).toBe(true);
    }
    if (tiles.length === 1) expect(m.layout.get(tiles[0])).toEqual({ x: 0, y: 0, width: 1280, height: 720 });
    if (largest) {
      const big = area(m.layout.get(largest)!);
      for (const [id, r] of m.layout) if (id !== largest) expect(area(r), `${largest} larger than ${id}`).toBeLessThan(big);
    }
  });
});

describe("video mixer: the streams it encodes", () => {
  const vp8 = (width: number, height: number) => ({ codec: "vp8" as const, width, height, bitrate: 300_000 });
  const h264 = (width: number, height: number) => ({ codec: "h264" as const, width, height, bitrate: 300_000 });
  const cases = [
    { name: "nobody asked: the main size in VP8", streams: [], expected: ["vp8:320x180"] },
    { name: "a smaller rung beside the main size", streams: [vp8(320, 180), vp8(160, 90)], expected: ["vp8:160x90", "vp8:320x180"] },
    { name: "the main size in both codecs", streams: [vp8(320, 180), h264(320, 180)], expected: ["h264:320x180", "vp8:320x180"] },
    { name: "only a smaller rung: the main size is not encoded", streams: [vp8(160, 90)], expected: ["vp8:160x90"] },
  ];

  it.each(cases)("$name", async ({ streams, expected }) => {
    const { m, context } = mixer(320, 180);
    try {
      m.setOutputStreams(streams);
      // Nothing is encoded before start(): an empty room costs nothing.
      expect(m.stats.outputStreams).toEqual([]);
      m.start();
      expect([...m.stats.outputStreams].sort()).toEqual(expected);
      expect([...m.stats.outputCodecs].sort()).toEqual([...new Set(expected.map((s) => s.split(":")[0]))].sort());
    } finally {
      await m.close();
    }
    expect(m.stats.outputStreams).toEqual([]);
    expect(context.processes.size).toBe(0);
  });
});
