import { mkdtempSync, rmSync } from "node:fs";
import { NEVER_MUTED } from "./muteState.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testMediaContext } from "../test/helpers/mediaContext.js";
import type { RecordingFormat } from "../protocol/recordingFormat.js";
import { RoomMixer } from "./roomMixer.js";
import { resolveLabelFont } from "./video/labelFont.js";
import type { MixStream } from "./video/renditionLadder.js";

const font = resolveLabelFont(undefined);
const dir = mkdtempSync(join(tmpdir(), "room-mixer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function roomMixer() {
  const context = testMediaContext();
  const mixer = new RoomMixer({
    label: "test",
    width: 320,
    height: 180,
    fps: 30,
    videoBitrate: 300_000,
    keyframeIntervalMs: 2000,
    staleAfterMs: 500,
    audioBitrate: 32_000,
    labelFont: font,
    context,
  });
  return { mixer, context };
}

const stream = (codec: "vp8" | "h264", width: number, height: number): MixStream => ({ codec, width, height, bitrate: 100_000 });

describe("room mixer: one encoder per stream its receivers and recordings take", () => {
  const cases: { name: string; receivers: MixStream[]; recordings: RecordingFormat[]; live: string[]; afterRecordings: string[] }[] = [
    {
      name: "nobody connected: the main size in VP8",
      receivers: [],
      recordings: [],
      live: ["vp8:320x180"],
      afterRecordings: ["vp8:320x180"],
    },
    {
      name: "two receivers on one stream share its encoder",
      receivers: [stream("vp8", 320, 180), stream("vp8", 320, 180)],
      recordings: [],
      live: ["vp8:320x180"],
      afterRecordings: ["vp8:320x180"],
    },
    {
      name: "a WebM recording takes the VP8 main stream a receiver already has",
      receivers: [stream("vp8", 320, 180)],
      recordings: ["webm"],
      live: ["vp8:320x180"],
      afterRecordings: ["vp8:320x180"],
    },
    {
      name: "an MP4 recording adds the H264 main stream while it runs",
      receivers: [stream("vp8", 160, 90)],
      recordings: ["mp4"],
      live: ["h264:320x180", "vp8:160x90"],
      afterRecordings: ["vp8:160x90"],
    },
    {
      name: "a receiver on a smaller rung only: the main size is not encoded for nobody",
      receivers: [stream("vp8", 160, 90)],
      recordings: [],
      live: ["vp8:160x90"],
      afterRecordings: ["vp8:160x90"],
    },
  ];

  it.each(cases)("$name", async ({ name, receivers, recordings, live, afterRecordings }) => {
    const { mixer, context } = roomMixer();
    try {
      mixer.setReceiverStreams(receivers);
      // A room nobody connected to and nothing records encodes nothing.
      expect(mixer.videoStats.outputStreams).toEqual([]);
      mixer.start();
      const started = recordings.map((format, i) => mixer.record(join(dir, `${name.length}-${i}.${format}`), format));
      expect([...mixer.videoStats.outputStreams].sort()).toEqual(live);
      for (const r of started) r.finish();
      expect([...mixer.videoStats.outputStreams].sort()).toEqual(afterRecordings);
    } finally {
      await mixer.close();
    }
    expect(context.processes.size).toBe(0);
  });
});

describe("room mixer: senders", () => {
  it.each([
    { name: "each sender gets a tile", senders: ["a", "b", "c"], leave: [], tiles: ["a", "b", "c"] },
    { name: "a sender who leaves loses their tile", senders: ["a", "b"], leave: ["a"], tiles: ["b"] },
    { name: "the last sender leaving leaves no tile", senders: ["a"], leave: ["a"], tiles: [] },
  ])("$name", async ({ senders, leave, tiles }) => {
    const { mixer } = roomMixer();
    const layouts: string[][] = [];
    mixer.on("layout", (t) => layouts.push([...t.keys()]));
    try {
      for (const id of senders) mixer.addSender(id, id.toUpperCase(), NEVER_MUTED);
      for (const id of leave) await mixer.removeSender(id);
      expect([...mixer.layout.keys()].sort()).toEqual(tiles);
      // The control plane hears every re-layout, the last one being what the mixer now draws.
      expect(layouts.at(-1)?.sort() ?? []).toEqual(tiles);
    } finally {
      await mixer.close();
    }
  });
});
