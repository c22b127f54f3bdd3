import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RECORDING_ID, RecordingNotFoundError, RecordingStore } from "./recordingStore.js";
import { RecordingStateError } from "../rooms/conferenceRoom.js";

const root = mkdtempSync(join(tmpdir(), "tessera-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

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
    writeFileSync(done.mediaPath, Buffer.alloc(1234));
    writeFileSync(
      done.timelinePath,
      [
        { kind: "start", t: 0, at: "2026-01-01T00:00:00.500Z", recording: done.id, room: "r1", output: {}, participants: [] },
        { kind: "stop", t: 5000, at: "2026-01-01T00:00:05.500Z", reason: "stopped", durationMs: 5000, bytes: 1234 },
      ].map((l) => JSON.stringify(l)).join("\n") + "\n",
    );
    const crashed = first.allocate(new Date("2026-01-01T00:01:00Z"));
    writeFileSync(crashed.mediaPath, Buffer.alloc(10));
    writeFileSync(crashed.timelinePath, `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T00:01:00.100Z", room: "r2" })}\n{"kind":"jo`);
    const bare = first.allocate(new Date("2026-01-01T00:02:00Z"));
    writeFileSync(bare.mediaPath, Buffer.alloc(1));
    writeFileSync(join(dir, "notes.webm"), "not ours");

    const list = await new RecordingStore(dir).list();
    expect(list.map((r) => r.id)).toEqual([bare.id, crashed.id, done.id]);
    expect(list[2]).toMatchObject({ room: "r1", startedAt: "2026-01-01T00:00:00.500Z", stoppedAt: "2026-01-01T00:00:05.500Z", durationMs: 5000, bytes: 1234 });
    expect(list[1]).toMatchObject({ room: "r2", interrupted: true, bytes: 10 });
    expect(list[0]).toMatchObject({ room: "", startedAt: "2026-01-01T00:02:00.000Z", interrupted: true });
  });

  it("refuses to delete a recording in progress, deletes a finished one with its timeline", async () => {
    const dir = join(root, "del");
    const store = new RecordingStore(dir);
    const files = store.allocate();
    writeFileSync(files.mediaPath, "x");
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
