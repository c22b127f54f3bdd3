import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { WebmWriter } from "../../../mixer/recording/webmWriter.js";
import { eventually } from "../../../test/helpers/eventually.js";
import { silentLogger } from "../../log.js";
import { RecordingStore } from "../../recordings/recordingStore.js";
import { startServer, type RunningServer } from "../../server.js";
import type { ServerMessage } from "../../../protocol/messages.js";
import { readServerMessage } from "../../../test/helpers/serverMessage.js";
import { writeRecording } from "../../../test/helpers/recordingFile.js";

const TOKEN = "range-test-token";

describe("GET /api/recordings/:id with Range", () => {
  let server: RunningServer;
  let dir: string;
  let id: string;
  let file: Buffer;
  const get = (range?: string) =>
    fetch(`${server.url}/api/recordings/${id}`, {
      headers: { Authorization: `Bearer ${TOKEN}`, ...(range === undefined ? {} : { Range: range }) },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-range-"));
    const files = new RecordingStore(dir).allocate(new Date("2026-01-01T00:00:00Z"));
    id = files.id;
    writeRecording(files.mediaPath, 3);
    writeFileSync(
      files.timelinePath,
      `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T00:00:00.000Z", recording: files.id, room: "r", output: {}, participants: [] })}\n`,
    );
    file = readFileSync(files.mediaPath);
    server = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, recordingsDir: dir },
      silentLogger,
    );
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectPartial = async (range: string, start: number, end: number) => {
    const res = await get(range);
    expect(res.status, range).toBe(206);
    expect(res.headers.get("content-range"), range).toBe(`bytes ${start}-${end}/${file.length}`);
    expect(res.headers.get("content-length"), range).toBe(String(end - start + 1));
    expect(res.headers.get("content-type")).toBe("video/webm");
    expect(Buffer.from(await res.arrayBuffer()).equals(file.subarray(start, end + 1)), range).toBe(true);
  };

  const expectWhole = async (range: string | undefined) => {
    const res = await get(range);
    expect(res.status, String(range)).toBe(200);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-range")).toBeNull();
    expect(res.headers.get("content-length")).toBe(String(file.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(file), String(range)).toBe(true);
  };

  it("serves the whole file without a Range", async () => {
    expect(file.length).toBeGreaterThan(10_000);
    await expectWhole(undefined);
  });

  it("answers bytes=a-, bytes=a-b and a last position past the end with 206", async () => {
    await expectPartial("bytes=0-", 0, file.length - 1);
    await expectPartial("bytes=100-", 100, file.length - 1);
    await expectPartial("bytes=100-199", 100, 199);
    await expectPartial("bytes=0-0", 0, 0);
    await expectPartial(`bytes=${file.length - 1}-${file.length - 1}`, file.length - 1, file.length - 1);
    await expectPartial(`bytes=500-${file.length * 10}`, 500, file.length - 1);
  });

  it("answers a suffix range with its last n bytes, and a suffix longer than the file with the whole file (RFC 9110 14.1.2)", async () => {
    await expectPartial("bytes=-500", file.length - 500, file.length - 1);
    await expectPartial(`bytes=-${file.length}`, 0, file.length - 1);
    await expectPartial(`bytes=-${file.length + 1}`, 0, file.length - 1);
    await expectPartial("bytes=-99999999999", 0, file.length - 1);
  });

  it("answers 416 with Content-Range: bytes */size when no range is satisfiable", async () => {
    for (const range of [`bytes=${file.length}-`, `bytes=${file.length + 10}-${file.length + 20}`, "bytes=99999999999-", "bytes=-0"]) {
      const res = await get(range);
      expect(res.status, range).toBe(416);
      expect(res.headers.get("content-range"), range).toBe(`bytes */${file.length}`);
      expect(await res.json(), range).toMatchObject({
        error: "range-not-satisfiable",
        message: expect.stringContaining(String(file.length)),
      });
    }
  });

  it("ignores a malformed Range, another unit or several ranges, and serves the whole file", async () => {
    for (const range of [
      "bytes=abc",
      "bytes=200-100",
      "bytes=",
      "bytes=--5",
      "bytes=1-2-3",
      "bytes=0x10-",
      "items=0-10",
      "0-10",
      "bytes=0-10,20-30",
    ])
      await expectWhole(range);
  });

  it("coalesces overlapping ranges into one", async () => {
    await expectPartial("bytes=0-99, 50-149", 0, 149);
  });

  it("honours If-Range only with the file's own Last-Modified, and answers HEAD with the headers alone", async () => {
    const lastModified = (await get()).headers.get("last-modified")!;
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const withIfRange = (ifRange: string) =>
      fetch(`${server.url}/api/recordings/${id}`, {
        headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=0-9", "If-Range": ifRange },
      });
    expect((await withIfRange(lastModified)).status).toBe(206);
    expect((await withIfRange("Thu, 01 Jan 1970 00:00:00 GMT")).status).toBe(200);
    expect((await withIfRange('"some-etag"')).status).toBe(200);
    const head = await fetch(`${server.url}/api/recordings/${id}`, {
      method: "HEAD",
      headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=-99999999999" },
    });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-range")).toBe(`bytes 0-${file.length - 1}/${file.length}`);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("serves the timeline the same way", async () => {
    const res = await fetch(`${server.url}/api/recordings/${id}/timeline`, {
      headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=-99999999999" },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await res.text()).toBe(readFileSync(join(dir, `${id}.timeline.jsonl`), "utf8"));
  });
});

/** A bare signaling connection to an MCU room: enough for the room (and its mixer) to exist. */
async function joinMcuRoom(url: string, room: string): Promise<{ ws: WebSocket; messages: ServerMessage[] }> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
  const messages: ServerMessage[] = [];
  ws.on("message", (d) => messages.push(readServerMessage(d)));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ type: "join", room, name: "Vic", mode: "mcu" }));
  await eventually(() => messages.some((m) => m.type === "joined"), 5000, "joined");
  return { ws, messages };
}

describe("recordings that cannot be made, through the API", () => {
  const servers: RunningServer[] = [];
  const sockets: WebSocket[] = [];
  const dirs: string[] = [];
  const api = (server: RunningServer, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/api${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}` } });
  const serve = async (recordingsDir: string, recordingsMinFreeBytes?: number) => {
    const server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        apiToken: TOKEN,
        recordingsDir,
        ...(recordingsMinFreeBytes === undefined ? {} : { recordingsMinFreeBytes }),
      },
      silentLogger,
    );
    servers.push(server);
    return server;
  };

  afterAll(async () => {
    sockets.forEach((ws) => ws.close());
    for (const server of servers) await server.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    for (const server of servers) expect(server.processes.size).toBe(0);
  });

  it("answers 507 insufficient-storage when the disk has less free space than the minimum, and makes no file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-507-"));
    dirs.push(dir);
    // A minimum this disk cannot have.
    const server = await serve(dir, Number.MAX_SAFE_INTEGER);
    const vic = await joinMcuRoom(server.url, "full");
    sockets.push(vic.ws);
    const res = await api(server, "/rooms/full/recording/start", { method: "POST" });
    expect(res.status).toBe(507);
    const body = (await res.json()) as { error: string; message: string };
    expect(body).toMatchObject({
      error: "insufficient-storage",
      message: expect.stringMatching(/^not enough free disk space to record: .* free in RECORDINGS_DIR, at least .* needed$/),
    });
    expect(body.message).not.toContain(dir);
    expect(server.rooms.get("full")?.capabilities.recording?.activeRecording).toBeUndefined();
    expect(vic.messages.some((m) => m.type === "recording" && m.recording !== null)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(await (await api(server, "/recordings")).json()).toEqual({ recordings: [] });
  });

  it("answers 500 recording-failed saying what failed, never the server's path", async () => {
    const parent = mkdtempSync(join(tmpdir(), "tessera-500-"));
    dirs.push(parent);
    writeFileSync(join(parent, "file"), "not a directory");
    const server = await serve(join(parent, "file", "recordings"));
    const vic = await joinMcuRoom(server.url, "stuck");
    sockets.push(vic.ws);
    const res = await api(server, "/rooms/stuck/recording/start", { method: "POST" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: "recording-failed",
      message: "could not create the recordings directory (RECORDINGS_DIR): not a directory (ENOTDIR)",
    });
    // The signaling answer carries the same message.
    vic.ws.send(JSON.stringify({ type: "record", action: "start" }));
    await eventually(() => vic.messages.some((m) => m.type === "error"), 5000, "the record message is refused");
    const refusal = vic.messages.find((m) => m.type === "error");
    expect(refusal).toMatchObject({ code: "recording-failed", message: expect.stringContaining("not a directory (ENOTDIR)") });
    expect(JSON.stringify(refusal)).not.toContain(parent);
  });

  it("neither lists nor serves a file with no media", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-stub-"));
    dirs.push(dir);
    const stub = new RecordingStore(dir).allocate();
    new WebmWriter(stub.mediaPath, { width: 1280, height: 720, audioChannels: 1 }).abandon();
    const server = await serve(dir);
    expect(await (await api(server, "/recordings")).json()).toEqual({ recordings: [] });
    expect((await api(server, `/recordings/${stub.id}`)).status).toBe(404);
    expect((await api(server, `/recordings/${stub.id}`, { method: "DELETE" })).status).toBe(204);
    expect(readdirSync(dir)).toEqual([]);
  });
});
