import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { RecordingsS3Config } from "../../config.js";
import { silentLogger } from "../../log.js";
import type { RecordingInfo } from "../recordingInfo.js";
import { eventually } from "../../../test/helpers/eventually.js";
import { S3RVER_CREDENTIALS, startS3Server } from "../../../test/helpers/s3Server.js";
import { RECORDING_ID } from "../recordingStore.js";
import { RecordingUploader, type RecordingUploaderEvents } from "./recordingUploader.js";
import { S3Storage } from "./s3Storage.js";
import { readMarker } from "./uploadJournal.js";

const MiB = 1024 * 1024;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(options: { keepLocal?: boolean; retryForMs?: number; prefix?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), "tessera-upload-"));
  closers.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, "recordings");
  const s3dir = join(root, "s3");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(dir);
  mkdirSync(s3dir);
  const s3 = await startS3Server(s3dir);
  closers.push(() => s3.close());
  const config: RecordingsS3Config = {
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: "us-east-1",
    pathStyle: true,
    prefix: options.prefix ?? "tessera/",
    keepLocal: options.keepLocal ?? false,
    partSizeBytes: 5 * MiB,
    retryForMs: options.retryForMs ?? 60_000,
  };
  const make = async () => {
    const storage = await S3Storage.create(config, S3RVER_CREDENTIALS);
    const uploader = new RecordingUploader({
      dir,
      idShape: RECORDING_ID,
      storage,
      keepLocal: config.keepLocal,
      retryForMs: config.retryForMs,
      firstBackoffMs: 200,
      maxBackoffMs: 1000,
      log: silentLogger,
      describe: async (id) => describeOnDisk(dir, id),
    });
    closers.push(() => uploader.close(0));
    return uploader;
  };
  return { dir, s3, config, make };
}

/** A finished recording's files: an `mb`-MiB media file of random bytes (more than one 5 MiB part) and a timeline. */
function finishedRecording(dir: string, mb: number): { info: RecordingInfo; media: Buffer } {
  const id = `20261208T00${String(Math.floor(Math.random() * 6000)).padStart(4, "0")}Z-${randomBytes(4).toString("hex")}`;
  const media = randomBytes(Math.round(mb * MiB));
  writeFileSync(join(dir, `${id}.webm`), media);
  writeFileSync(
    join(dir, `${id}.timeline.jsonl`),
    `${JSON.stringify({ kind: "start", room: "면접", t: 0, at: "2026-12-08T00:00:00.000Z" })}\n`,
  );
  const info: RecordingInfo = {
    id,
    room: "면접",
    startedAt: "2026-12-08T00:00:00.000Z",
    stoppedAt: "2026-12-08T00:01:00.000Z",
    durationMs: 60_000,
    bytes: media.length,
    format: "webm",
    file: `${id}.webm`,
  };
  return { info, media };
}

function describeOnDisk(dir: string, id: string): RecordingInfo | undefined {
  const file = `${id}.webm`;
  if (!existsSync(join(dir, file))) return undefined;
  return {
    id,
    room: "면접",
    startedAt: "2026-12-08T00:00:00.000Z",
    bytes: readFileSync(join(dir, file)).length,
    format: "webm",
    file,
    interrupted: true,
  };
}

function next<K extends keyof RecordingUploaderEvents>(
  uploader: RecordingUploader,
  event: K,
  timeoutMs: number,
): Promise<RecordingUploaderEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms`)), timeoutMs);
    uploader.once(event, ((...args: RecordingUploaderEvents[K]) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}

/** The stored object, read back over a presigned GET. */
async function stored(uploader: RecordingUploader, id: string, file: string): Promise<Buffer> {
  const url = await uploader.objectUrl(id, file, "application/octet-stream", 60);
  expect(url, `a presigned URL of ${file}`).toBeDefined();
  const res = await fetch(url!);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("RecordingUploader against s3rver on loopback", () => {
  it("uploads an 11 MiB recording in 5 MiB parts, verifies it, then deletes the local files; counts it", async () => {
    const { dir, make } = await setup();
    const uploader = await make();
    const registry = new Registry();
    uploader.registerMetrics(registry);
    const { info, media } = finishedRecording(dir, 11);
    const progress: number[] = [];
    uploader.on("progress", (p) => p.file === info.file && progress.push(p.loaded));
    const done = next(uploader, "uploaded", 30_000);
    uploader.enqueue(info, { reason: "stopped", sha256: sha(media) });
    const [uploaded] = await done;
    expect(uploaded).toMatchObject({ id: info.id, room: "면접", finish: { reason: "stopped" } });
    // Three parts (5 + 5 + 1 MiB), each reported as it was sent.
    expect(progress).toEqual([5 * MiB, 10 * MiB, 11 * MiB]);
    expect(sha(await stored(uploader, info.id, info.file!))).toBe(sha(media));
    expect((await stored(uploader, info.id, `${info.id}.timeline.jsonl`)).toString()).toContain('"room":"면접"');
    expect(existsSync(join(dir, info.file!))).toBe(false);
    expect(existsSync(join(dir, `${info.id}.timeline.jsonl`))).toBe(false);
    const marker = readMarker(dir, info.id)!;
    expect(marker.state).toBe("uploaded");
    expect(marker.objects.map((o) => o.key)).toEqual([`tessera/${info.id}.webm`, `tessera/${info.id}.timeline.jsonl`]);
    expect(uploader.storageOf(info.id, false)).toMatchObject({ state: "uploaded", key: `tessera/${info.id}.webm`, local: false });
    const text = await registry.metrics();
    expect(text).toMatch(/tessera_recording_uploads_total\{outcome="succeeded"\} 1/);
    expect(text).toMatch(/tessera_recording_uploads_in_flight 0/);
  });

  it("keeps the local files with keepLocal", async () => {
    const { dir, make } = await setup({ keepLocal: true });
    const uploader = await make();
    const { info, media } = finishedRecording(dir, 0.5);
    const done = next(uploader, "uploaded", 20_000);
    uploader.enqueue(info);
    await done;
    expect(readFileSync(join(dir, info.file!)).equals(media)).toBe(true);
    expect(sha(await stored(uploader, info.id, info.file!))).toBe(sha(media));
    expect(readMarker(dir, info.id)?.state).toBe("uploaded");
  });

  it("rides out a storage outage in the middle of a multipart upload: retries with back-off, completes once it is back, deletes only then", async () => {
    const { dir, s3, make } = await setup();
    const uploader = await make();
    const registry = new Registry();
    uploader.registerMetrics(registry);
    const { info, media } = finishedRecording(dir, 11);
    const retries: RecordingUploaderEvents["retry"][0][] = [];
    const localAtRetry: boolean[] = [];
    uploader.on("retry", (r) => {
      retries.push(r);
      localAtRetry.push(existsSync(join(dir, info.file!)));
    });
    // The storage goes down once the first part of the media file is in: SIGKILL sent from the progress
    // event itself, before the uploader can start the second part.
    let down: Promise<void> | undefined;
    uploader.on("progress", (p) => {
      if (!down && p.file === info.file && p.loaded >= 5 * MiB) down = s3.kill();
    });
    const done = next(uploader, "uploaded", 60_000);
    uploader.enqueue(info);
    await eventually(() => down !== undefined, 20_000, "the first part uploaded");
    await down;
    await eventually(() => retries.length >= 2, 30_000, "at least two failed attempts while the storage is down");
    await s3.restart();
    const [uploaded] = await done;
    expect(uploaded.id).toBe(info.id);
    expect(localAtRetry.every(Boolean), "the file stayed on disk through every failed attempt").toBe(true);
    // Backed off: later waits no shorter than the first (200 ms doubling, ±20 %).
    expect(retries[1].retryInMs).toBeGreaterThan(retries[0].retryInMs * 0.6);
    expect(sha(await stored(uploader, info.id, info.file!))).toBe(sha(media));
    expect(existsSync(join(dir, info.file!))).toBe(false);
    expect(await registry.metrics()).toMatch(new RegExp(`tessera_recording_upload_retries_total ${retries.length}\\b`));
  });

  it("does not delete a file whose stored object does not verify: a file that grew during its upload is stored again, then deleted", async () => {
    const { dir, make } = await setup();
    const uploader = await make();
    const { info, media } = finishedRecording(dir, 11);
    const path = join(dir, info.file!);
    const extra = randomBytes(1000);
    let grown = false;
    // Once the first part is in, the file grows: what is stored is no longer what was measured and hashed.
    uploader.on("progress", (p) => {
      if (!grown && p.file === info.file && p.loaded >= 5 * MiB) {
        grown = true;
        appendFileSync(path, extra);
      }
    });
    const retries: { error: string; onDisk: boolean }[] = [];
    uploader.on("retry", (r) => retries.push({ error: r.error, onDisk: existsSync(path) }));
    const done = next(uploader, "uploaded", 60_000);
    uploader.enqueue(info);
    await done;
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0].error).toMatch(/did not verify: stored \d+ bytes, the file has 11534336/);
    expect(retries[0].onDisk).toBe(true);
    expect(sha(await stored(uploader, info.id, info.file!))).toBe(sha(Buffer.concat([media, extra])));
    expect(existsSync(path)).toBe(false);
  });

  it("gives up after its retry time with the storage down: the files stay, the marker says failed, and a new uploader (a restart) uploads them", async () => {
    const { dir, s3, make } = await setup({ retryForMs: 1500 });
    await s3.kill();
    const uploader = await make();
    const registry = new Registry();
    uploader.registerMetrics(registry);
    const { info, media } = finishedRecording(dir, 0.2);
    const failed = next(uploader, "failed", 20_000);
    uploader.enqueue(info);
    const [failure] = await failed;
    expect(failure.reason).toMatch(/gave up after \d+ attempts/);
    expect(readMarker(dir, info.id)).toMatchObject({ state: "failed" });
    expect(existsSync(join(dir, info.file!))).toBe(true);
    expect(await registry.metrics()).toMatch(/tessera_recording_uploads_total\{outcome="failed"\} 1/);
    await uploader.close(0);

    await s3.restart();
    const again = await make();
    const done = next(again, "uploaded", 20_000);
    await again.resume(() => false);
    await done;
    expect(sha(await stored(again, info.id, info.file!))).toBe(sha(media));
    expect(existsSync(join(dir, info.file!))).toBe(false);
  });

  it("close() does not wait past its bound for an upload in flight; the next uploader resumes it from the marker, and one found running is described and uploaded", async () => {
    const { dir, s3, make } = await setup();
    const first = await make();
    const { info, media } = finishedRecording(dir, 11);
    // The storage goes down (killed from the first progress event) so the upload cannot finish within the bound.
    let down: Promise<void> | undefined;
    first.on("progress", (p) => {
      if (!down && p.file === info.file) down = s3.kill();
    });
    first.enqueue(info, { reason: "server-shutdown", sha256: sha(media) });
    // A recording whose process was killed while it ran: its marker still says "recording".
    const killed = finishedRecording(dir, 0.3);
    first.noteStarted(killed.info.id, "면접");
    await eventually(() => down !== undefined, 20_000, "the first part uploaded");
    await down;
    const closing = performance.now();
    await first.close(300);
    expect(performance.now() - closing).toBeLessThan(3000);
    expect(readMarker(dir, info.id)?.state).toBe("queued");
    expect(existsSync(join(dir, info.file!))).toBe(true);

    await s3.restart();
    const second = await make();
    const uploaded: string[] = [];
    second.on("uploaded", (u) => uploaded.push(u.id));
    await second.resume(() => false);
    await eventually(() => uploaded.length === 2, 40_000, "both recordings uploaded after the restart");
    expect(sha(await stored(second, info.id, info.file!))).toBe(sha(media));
    expect(sha(await stored(second, killed.info.id, killed.info.file!))).toBe(sha(killed.media));
    expect(readMarker(dir, killed.info.id)?.info).toMatchObject({ interrupted: true });
  });
});

describe("S3Storage.verify", () => {
  it("tells a stored object that is not the file apart: size, or the sha256 it was stored with", async () => {
    const { s3, config } = await setup();
    const storage = await S3Storage.create(config, S3RVER_CREDENTIALS);
    closers.push(() => storage.close());
    const client = new S3Client({ region: "us-east-1", endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    closers.push(() => client.destroy());
    const body = randomBytes(1000);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "k", Body: body, Metadata: { sha256: sha(body) } }));
    const signal = new AbortController().signal;
    expect(await storage.verify("k", 1000, sha(body), signal)).toBeUndefined();
    expect(await storage.verify("k", 1001, sha(body), signal)).toMatch(/stored 1000 bytes, the file has 1001/);
    expect(await storage.verify("k", 1000, "0".repeat(64), signal)).toMatch(/sha256/);
    expect(await storage.verify("missing", 1000, sha(body), signal)).toMatch(/not there/);
  });
});
