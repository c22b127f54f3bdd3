import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RECORDING_ID } from "../recordingStore.js";
import { markerIds, markerPath, readMarker, removeMarker, writeMarker } from "./uploadJournal.js";

const dir = mkdtempSync(join(tmpdir(), "tessera-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ID = "20261208T000000Z-0a1b2c3d";

describe("upload markers", () => {
  it("are written whole (no temporary file left) and read back", () => {
    const written = writeMarker(dir, {
      id: ID,
      room: "면접",
      state: "queued",
      bucket: "b-1",
      objects: [{ file: `${ID}.webm`, key: `p/${ID}.webm`, bytes: 10, sha256: "ab" }],
    });
    expect(readMarker(dir, ID)).toEqual(written);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(markerIds(dir, RECORDING_ID)).toEqual([ID]);
    removeMarker(dir, ID);
    expect(readMarker(dir, ID)).toBeUndefined();
  });

  const unreadable: [string, string][] = [
    ["cut short", '{"v":1,"id":"2026'],
    ["not JSON", "garbage"],
    ["another version", JSON.stringify({ v: 2, id: ID, room: "r", state: "queued", bucket: "b", objects: [], updatedAt: "x" })],
    ["an unknown state", JSON.stringify({ v: 1, id: ID, room: "r", state: "lost", bucket: "b", objects: [], updatedAt: "x" })],
    [
      "another recording's id",
      JSON.stringify({ v: 1, id: "20261208T000000Z-ffffffff", room: "r", state: "queued", bucket: "b", objects: [], updatedAt: "x" }),
    ],
    [
      "an object without its size",
      JSON.stringify({
        v: 1,
        id: ID,
        room: "r",
        state: "queued",
        bucket: "b",
        objects: [{ file: "f", key: "k", sha256: "s" }],
        updatedAt: "x",
      }),
    ],
  ];
  it.each(unreadable)("one %s is not read as a marker", (_name, text) => {
    writeFileSync(markerPath(dir, ID), text);
    expect(readMarker(dir, ID)).toBeUndefined();
  });

  it("with a name that is not a recording id are not listed", () => {
    writeFileSync(join(dir, "notes.upload.json"), "{}");
    expect(markerIds(dir, RECORDING_ID)).toEqual([ID]);
  });
});
