import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { testMediaContext } from "../../test/helpers/mediaContext.js";
import { RoomMixer } from "../../mixer/roomMixer.js";
import { NEVER_MUTED } from "../../mixer/muteState.js";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { decodeFile } from "../../test/helpers/mediaProbe.js";
import { eventually } from "../../test/helpers/eventually.js";
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from "../../test/helpers/smallDisk.js";
import { createLogger, type Logger } from "../log.js";
import { RecordingStore } from "./recordingStore.js";
import { RecordingFailedError, RoomRecording } from "./roomRecording.js";

const root = mkdtempSync(join(tmpdir(), "tessera-roomrec-"));
let mixer: RoomMixer;
const context = testMediaContext();

beforeAll(() => {
  // A real mixer: its encoder draws the name card of a sender with no video, so frames (and clusters
  // of a few kilobytes) come without anyone sending media.
  mixer = new RoomMixer({
    label: "room:rec-test",
    width: 640,
    height: 360,
    fps: 30,
    videoBitrate: 800_000,
    audioBitrate: 32_000,
    keyframeIntervalMs: 900,
    staleAfterMs: 200,
    labelFont: resolveLabelFont(undefined),
    context,
  });
  mixer.addSender("ada", "Ada Lovelace", NEVER_MUTED);
});

afterAll(async () => {
  await mixer.close();
  rmSync(root, { recursive: true, force: true });
  expect(context.processes.size).toBe(0);
});

/** A logger whose lines the test can read: the paths must be in the log, not in the errors. */
function capturingLogger(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level: "info", destination }), text: () => lines.join("") };
}

function startRecording(store: RecordingStore, log: Logger, onFailed: (err: Error) => void = () => {}): RoomRecording {
  return new RoomRecording({ room: "r", store, mixer, output: { width: 640, height: 360, fps: 30 }, roster: () => [], log, onFailed });
}

function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected it to throw");
}

describe("RoomRecording: starting", () => {
  it("refuses to start when the disk has less free space than the minimum, before making any file", () => {
    const dir = join(root, "low");
    const store = new RecordingStore(dir, { minFreeBytes: Number.MAX_SAFE_INTEGER });
    const { log, text } = capturingLogger();
    const err = thrown(() => startRecording(store, log));
    expect(err).toBeInstanceOf(RecordingFailedError);
    expect(err.code).toBe("insufficient-storage");
    expect(err.message).toMatch(/^not enough free disk space to record: .+ free in RECORDINGS_DIR, at least .+ needed$/);
    expect(err.message).not.toContain(root);
    expect(readdirSync(dir)).toEqual([]);
    expect(text()).toContain("recording did not start");
  });

  it("starts with the default minimum on a disk that has room", async () => {
    const store = new RecordingStore(join(root, "roomy"));
    expect(store.freeBytes()).toBeGreaterThan(store.minFreeBytes);
    const recording = startRecording(store, capturingLogger().log);
    await recording.ready;
    recording.stop("stopped");
  });

  it("says what could not be done and why, without the path, which goes to the log", () => {
    const parent = join(root, "blocked");
    writeFileSync(parent, "a file where the directory should be");
    const dir = join(parent, "recordings");
    const { log, text } = capturingLogger();
    const err = thrown(() => startRecording(new RecordingStore(dir), log));
    expect(err).toBeInstanceOf(RecordingFailedError);
    expect(err.code).toBe("recording-failed");
    expect(err.message).toBe("could not create the recordings directory (RECORDINGS_DIR): not a directory (ENOTDIR)");
    expect(err.message).not.toContain(root);
    expect(text()).toContain(dir);
  });
});

describe("RoomRecording: ending with no media", () => {
  it("leaves no files when stopped before the first frame, and its answer names no file", async () => {
    const dir = join(root, "early-stop");
    const store = new RecordingStore(dir);
    const recording = startRecording(store, capturingLogger().log);
    const info = recording.stop("stopped");
    expect(info.file).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("keeps a recording that has media: its file is listed and decodes", async () => {
    const dir = join(root, "kept");
    const store = new RecordingStore(dir);
    const recording = startRecording(store, capturingLogger().log);
    await recording.ready;
    await new Promise((r) => setTimeout(r, 1500));
    const info = recording.stop("stopped");
    expect(info.file).toBe(`${recording.id}.webm`);
    expect((await store.list()).map((r) => r.id)).toEqual([recording.id]);
    const report = await decodeFile(join(dir, info.file!));
    expect(report.hasVideo).toBe(true);
    expect(report.videoFrames).toBeGreaterThan(10);
  });
});

const noDisk = smallDiskUnavailable();
if (noDisk) console.warn(`skipping the full-disk recording tests: ${noDisk}`);

describe.skipIf(noDisk !== undefined)(`RoomRecording on a full disk${noDisk ? ` (skipped: ${noDisk})` : ""}`, () => {
  let small: SmallDisk;
  beforeAll(() => {
    small = mountSmallDisk(1024 * 1024);
  });
  afterAll(() => small?.unmount());
  afterEach(() => {
    for (const name of readdirSync(small.dir)) rmSync(join(small.dir, name), { recursive: true, force: true });
  });

  it("refuses with the default minimum: a 1 MiB disk is nearly full", () => {
    const { log } = capturingLogger();
    const err = thrown(() => startRecording(new RecordingStore(small.dir), log));
    expect(err.code).toBe("insufficient-storage");
    expect(err.message).toContain("1.0 MiB free");
    expect(readdirSync(small.dir)).toEqual([]);
  });

  it("with no room for the header: refused with ENOSPC and no path, and nothing is left", () => {
    small.fill(0);
    const { log, text } = capturingLogger();
    const err = thrown(() => startRecording(new RecordingStore(small.dir, { minFreeBytes: 0 }), log));
    expect(err).toBeInstanceOf(RecordingFailedError);
    expect(err.message).toBe("could not create the recording file: no space left on device (ENOSPC)");
    expect(text()).toContain(small.dir);
    expect(readdirSync(small.dir)).toEqual(["filler"]);
  });

  it("when the disk fills before the first cluster: fails with a safe message and leaves no stub", async () => {
    // Two pages: one for the media file's header, one for the timeline's lines; the first cluster has none.
    small.fill(2 * 4096);
    const store = new RecordingStore(small.dir, { minFreeBytes: 0 });
    const { log, text } = capturingLogger();
    const failures: Error[] = [];
    const recording = startRecording(store, log, (err) => failures.push(err));
    await recording.ready;
    await eventually(() => failures.length > 0, 5000, "the recording fails at its first cluster");
    expect(failures[0].message).toBe("could not write the recording: no space left on device (ENOSPC)");
    expect(failures[0].message).not.toContain(small.dir);
    expect(recording.info()).toMatchObject({ id: recording.id });
    expect(recording.info().file).toBeUndefined();
    expect(readdirSync(small.dir)).toEqual(["filler"]);
    expect(await store.list()).toEqual([]);
    expect(text()).toContain("recording had no media");
  });
});
