import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WebmWriter } from "../../mixer/recording/webmWriter.js";
import { InsufficientSpaceError } from "./recordingErrors.js";
import { DEFAULT_MIN_FREE_BYTES, RECORDING_ID, RecordingNotFoundError, RecordingStore } from "./recordingStore.js";
import { RecordingStateError } from "../rooms/errors.js";

const root = mkdtempSync(join(tmpdir(), "tessera-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A media file as the mixer writes one: two seconds of blocks, finished, or left as a crash leaves it. */
function writeMedia(path: string, end: "finish" | "crash"): void {
  const writer = new WebmWriter(path, { width: 320, height: 240, audioChannels: 1 });
  for (let t = 0; t < 2000; t += 20) {
    writer.addAudio(t, Buffer.alloc(30, 7));
    if (t % 40 === 0) writer.addVideo(t, Buffer.alloc(300, 9), t % 1000 === 0);
  }
  if (end === "finish") writer.finish();
  else writer.abandon();
}

describe("RecordingStore", () => {
  it("makes ids of its own shape and names files by them only, creating the directory", () => {
    const store = new RecordingStore(join(root, "a", "b"));
    const files = store.allocate(new Date("2026-01-02T03:04:05.678Z"));
    expect(files.id).toMatch(/^20260102T030405Z-[0-9a-f]{8}$/);
    expect(RECORDING_ID.test(files.id)).toBe(true);
    expect(files.mediaPath).toBe(join(root, "a", "b", `${files.id}.webm`));
    expect(files.timelinePath).toBe(join(root, "a", "b", `${files.id}.timeline.jsonl`));
    expect(store.allocate().id).not.toBe(files.id);
  });

  it("refuses anything that is not an id before touching a path", async () => {
    const store = new RecordingStore(root);
    for (const bad of ["../x", "20260102T030405Z-0123abcd/../../etc", "20260102T030405Z-0123ABCD", "", "a".repeat(500)]) {
      expect(() => store.mediaPath(bad), bad).toThrow(RecordingNotFoundError);
      expect(await store.get(bad)).toBeUndefined();
      await expect(store.delete(bad)).rejects.toThrow(RecordingNotFoundError);
    }
  });

  it("lists what is on disk (a new store, as after a restart), finished, interrupted or without a timeline", async () => {
    const dir = join(root, "list");
    const first = new RecordingStore(dir);
    const done = first.allocate(new Date("2026-01-01T00:00:00Z"));
    writeMedia(done.mediaPath, "finish");
    const doneBytes = statSync(done.mediaPath).size;
    writeFileSync(
      done.timelinePath,
      [
        { kind: "start", t: 0, at: "2026-01-01T00:00:00.500Z", recording: done.id, room: "r1", output: {}, participants: [] },
        { kind: "stop", t: 5000, at: "2026-01-01T00:00:05.500Z", reason: "stopped", durationMs: 5000, bytes: doneBytes },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n") + "\n",
    );
    const crashed = first.allocate(new Date("2026-01-01T00:01:00Z"));
    writeMedia(crashed.mediaPath, "crash");
    writeFileSync(
      crashed.timelinePath,
      `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T00:01:00.100Z", room: "r2" })}\n{"kind":"jo`,
    );
    const bare = first.allocate(new Date("2026-01-01T00:02:00Z"));
    writeMedia(bare.mediaPath, "finish");
    writeFileSync(join(dir, "notes.webm"), "not ours");

    const list = await new RecordingStore(dir).list();
    expect(list.map((r) => r.id)).toEqual([bare.id, crashed.id, done.id]);
    expect(list[2]).toMatchObject({
      room: "r1",
      startedAt: "2026-01-01T00:00:00.500Z",
      stoppedAt: "2026-01-01T00:00:05.500Z",
      durationMs: 5000,
      bytes: doneBytes,
    });
    expect(list[1]).toMatchObject({ room: "r2", interrupted: true, bytes: statSync(crashed.mediaPath).size });
    expect(list[0]).toMatchObject({ room: "", startedAt: "2026-01-01T00:02:00.000Z", interrupted: true });
  });

  it("does not list or find a file with no media: a header-only stub, a first block cut short, an empty file", async () => {
    const dir = join(root, "stubs");
    const store = new RecordingStore(dir);
    const real = store.allocate(new Date("2026-01-01T00:00:00Z"));
    writeMedia(real.mediaPath, "finish");
    // What a recording that failed at its first cluster left before stubs were removed: 271 bytes of header.
    const headerOnly = store.allocate(new Date("2026-01-01T00:01:00Z"));
    new WebmWriter(headerOnly.mediaPath, { width: 1280, height: 720, audioChannels: 1 }).abandon();
    expect(statSync(headerOnly.mediaPath).size).toBe(271);
    writeFileSync(headerOnly.timelinePath, `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T00:01:00.000Z", room: "r" })}\n`);
    const finishedEmpty = store.allocate(new Date("2026-01-01T00:02:00Z"));
    new WebmWriter(finishedEmpty.mediaPath, { width: 640, height: 360, audioChannels: 1 }).finish();
    const cut = store.allocate(new Date("2026-01-01T00:03:00Z"));
    writeMedia(cut.mediaPath, "finish");
    truncateSync(cut.mediaPath, 400);
    const empty = store.allocate(new Date("2026-01-01T00:04:00Z"));
    writeFileSync(empty.mediaPath, "");

    expect((await store.list()).map((r) => r.id)).toEqual([real.id]);
    for (const stub of [headerOnly, finishedEmpty, cut, empty]) expect(await store.get(stub.id)).toBeUndefined();
    // Still deletable, to clean up by hand.
    await store.delete(headerOnly.id);
    expect(existsSync(headerOnly.timelinePath)).toBe(false);
  });

  it("lists a recording in progress even before its first cluster", async () => {
    const store = new RecordingStore(join(root, "live"));
    const files = store.allocate();
    new WebmWriter(files.mediaPath, { width: 320, height: 240, audioChannels: 1 }).abandon();
    store.track(files.id, () => ({ id: files.id, room: "r", startedAt: "", bytes: 270 }));
    expect((await store.list()).map((r) => r.id)).toEqual([files.id]);
    store.untrack(files.id, 270);
    expect(await store.list()).toEqual([]);
  });

  it("refuses to allocate when the file system has less free space than the minimum, making nothing", () => {
    const dir = join(root, "full");
    const free = new RecordingStore(dir).freeBytes();
    expect(free).toBeGreaterThan(0);
    const store = new RecordingStore(dir, { minFreeBytes: free * 2 });
    let err: unknown;
    try {
      store.allocate();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InsufficientSpaceError);
    expect(err).toMatchObject({ code: "insufficient-storage", minFreeBytes: free * 2 });
    expect((err as Error).message).not.toContain(root);
    expect(readdirSync(dir)).toEqual([]);
    expect(new RecordingStore(dir, { minFreeBytes: 0 }).allocate().id).toMatch(RECORDING_ID);
    expect(new RecordingStore(dir).minFreeBytes).toBe(DEFAULT_MIN_FREE_BYTES);
  });

  it("refuses to delete a recording in progress, deletes a finished one with its timeline", async () => {
    const dir = join(root, "del");
    const store = new RecordingStore(dir);
    const files = store.allocate();
    writeMedia(files.mediaPath, "finish");
    writeFileSync(files.timelinePath, "");
    store.track(files.id, () => ({ id: files.id, room: "r", startedAt: "", bytes: 1 }));
    await expect(store.delete(files.id)).rejects.toThrow(RecordingStateError);
    expect(await store.get(files.id)).toMatchObject({ room: "r", bytes: 1 });
    store.untrack(files.id, 1);
    await store.delete(files.id);
    expect(readdirSync(dir)).toEqual([]);
    await expect(store.delete(files.id)).rejects.toThrow(RecordingNotFoundError);
  });

  it("lists nothing when the directory does not exist yet", async () => {
    expect(await new RecordingStore(join(root, "never")).list()).toEqual([]);
  });
});
