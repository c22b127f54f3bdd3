import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebmWriter } from "../../../mixer/recording/webmWriter.js";
import { silentLogger } from "../../log.js";
import { RecordingStore } from "../../recordings/recordingStore.js";
import { startServer, type RunningServer } from "../../server.js";

const TOKEN = "range-test-token";

/** A real recording file as the mixer writes one: a header, then clusters of VP8 and Opus blocks. */
function writeRecording(path: string, seconds: number): void {
  const writer = new WebmWriter(path, { width: 320, height: 240, audioChannels: 1 });
  for (let t = 0; t < seconds * 1000; t += 20) {
    writer.addAudio(t, Buffer.alloc(40, t % 251));
    if (t % 40 === 0) writer.addVideo(t, Buffer.alloc(600, t % 253), t % 1000 === 0);
  }
  writer.finish();
}

describe("GET /api/recordings/:id with Range", () => {
  let server: RunningServer;
  let dir: string;
  let id: string;
  let file: Buffer;
  const get = (range?: string) => fetch(`${server.url}/api/recordings/${id}`, { headers: { Authorization: `Bearer ${TOKEN}`, ...(range === undefined ? {} : { Range: range }) } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-range-"));
    const files = new RecordingStore(dir).allocate(new Date("2026-01-01T00:00:00Z"));
    id = files.id;
    writeRecording(files.mediaPath, 3);
    writeFileSync(files.timelinePath, `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T00:00:00.000Z", recording: files.id, room: "r", output: {}, participants: [] })}\n`);
    file = readFileSync(files.mediaPath);
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, recordingsDir: dir }, silentLogger);
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
      expect(await res.json(), range).toMatchObject({ error: "range-not-satisfiable", message: expect.stringContaining(String(file.length)) });
    }
  });

  it("ignores a malformed Range, another unit or several ranges, and serves the whole file", async () => {
    for (const range of ["bytes=abc", "bytes=200-100", "bytes=", "bytes=--5", "bytes=1-2-3", "bytes=0x10-", "items=0-10", "0-10", "bytes=0-10,20-30"]) await expectWhole(range);
  });

  it("coalesces overlapping ranges into one", async () => {
    await expectPartial("bytes=0-99, 50-149", 0, 149);
  });

  it("honours If-Range only with the file's own Last-Modified, and answers HEAD with the headers alone", async () => {
    const lastModified = (await get()).headers.get("last-modified")!;
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const withIfRange = (ifRange: string) => fetch(`${server.url}/api/recordings/${id}`, { headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=0-9", "If-Range": ifRange } });
    expect((await withIfRange(lastModified)).status).toBe(206);
    expect((await withIfRange("Thu, 01 Jan 1970 00:00:00 GMT")).status).toBe(200);
    expect((await withIfRange('"some-etag"')).status).toBe(200);
    const head = await fetch(`${server.url}/api/recordings/${id}`, { method: "HEAD", headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=-99999999999" } });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-range")).toBe(`bytes 0-${file.length - 1}/${file.length}`);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("serves the timeline the same way", async () => {
    const res = await fetch(`${server.url}/api/recordings/${id}/timeline`, { headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=-99999999999" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await res.text()).toBe(readFileSync(join(dir, `${id}.timeline.jsonl`), "utf8"));
  });
});
