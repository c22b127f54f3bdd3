import { EventEmitter } from "node:events";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../../log.js";
import type { RecordingInfo } from "../recordingInfo.js";
import { jitteredBackoff } from "../../retryBackoff.js";
import { fileSha256 } from "../fileHash.js";
import { describeFailure } from "../recordingErrors.js";
import type { S3Storage } from "./s3Storage.js";
import {
  markerIds,
  readMarker,
  removeMarker,
  writeMarker,
  type RecordingStorage,
  type StoredObject,
  type UploadMarker,
} from "./uploadJournal.js";

export interface RecordingUploaderOptions {
  /** RECORDINGS_DIR: the files, and each recording's marker (`<id>.upload.json`) beside them. */
  readonly dir: string;
  /** The server's recording id shape: only markers of such ids are resumed. */
  readonly idShape: RegExp;
  readonly storage: S3Storage;
  /** Keep the local files after a verified upload. */
  readonly keepLocal: boolean;
  /** How long one recording's upload is retried, from its first attempt in this process, before it is given up. */
  readonly retryForMs: number;
  /** Back-off before the first retry; doubles per attempt up to maxBackoffMs (default 2 s and 5 minutes), ±20 %. */
  readonly firstBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** What is on disk for a recording found running at start (its process was killed): its RecordingInfo, or undefined if it has no media. */
  readonly describe: (id: string) => Promise<RecordingInfo | undefined>;
  readonly log: Logger;
}

/** A recording whose files are all stored and verified. `finish` is set for one that ended well (recording.finished). */
export interface UploadedEvent {
  readonly id: string;
  readonly room: string;
  readonly info: RecordingInfo;
  readonly finish?: { readonly reason: string; readonly sha256: string };
}

export interface RecordingUploaderEvents {
  queued: [id: string];
  progress: [progress: { id: string; file: string; loaded: number; total: number }];
  retry: [retry: { id: string; attempt: number; error: string; retryInMs: number }];
  uploaded: [uploaded: UploadedEvent];
  /** Given up (retries ran out, or a file is gone): the files stay on disk; the next start tries again. */
  failed: [failed: { id: string; room: string; info?: RecordingInfo; reason: string }];
}

/** A failure no retry can mend (a file deleted under the upload). */
class PermanentUploadError extends Error {}

type Outcome = "succeeded" | "failed";

/**
 * Uploads finished recordings (media, timeline, voice files) to the bucket, one recording at a time, in
 * the order they finished. The queue is durable: each recording has a marker file from its start
 * (uploadJournal.ts), so a restart resumes what was running or waiting, and a file is deleted locally
 * only after the stored object's size and sha256 have been read back. A failed attempt is retried with
 * doubling, jittered back-off until `retryForMs`, then the upload is given up (the files stay on disk).
 */
export class RecordingUploader extends EventEmitter<RecordingUploaderEvents> {
  private readonly queue: string[] = [];
  private current: { id: string; abort: AbortController } | undefined;
  /** The queue's loop: its promise (awaited by close), and whether it is still looping (set and cleared in the same tick as its checks). */
  private running: Promise<void> | undefined;
  private looping = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly counts: Record<Outcome, number> = { succeeded: 0, failed: 0 };
  private retries = 0;

  constructor(private readonly options: RecordingUploaderOptions) {
    super();
  }

  get bucket(): string {
    return this.options.storage.config.bucket;
  }

  /** A recording has started: its marker says so, so that a process killed during it uploads what it wrote on the next start. */
  noteStarted(id: string, room: string): void {
    writeMarker(this.options.dir, { id, room, state: "recording", bucket: this.bucket, objects: [] });
  }

  /**
   * A recording has finished (its files are complete): it joins the queue. `finish` for one that ended
   * well: recording.finished is then sent once it is uploaded.
   */
  enqueue(info: RecordingInfo, finish?: { reason: string; sha256: string }): void {
    writeMarker(this.options.dir, {
      id: info.id,
      room: info.room,
      state: "queued",
      bucket: this.bucket,
      info: withoutStorage(info),
      finish,
      objects: readMarker(this.options.dir, info.id)?.objects ?? [],
    });
    this.push(info.id);
  }

  /**
   * At start: every recording whose marker is not `uploaded` is queued again (one that was running is
   * described from its files first; one with no media loses its marker). Uploaded ones whose local
   * files outlived a crash between the marker and the delete lose those files now, unless kept.
   */
  async resume(isActive: (id: string) => boolean): Promise<void> {
    for (const id of markerIds(this.options.dir, this.options.idShape).sort()) {
      if (isActive(id)) continue;
      const m = readMarker(this.options.dir, id);
      if (!m) continue;
      if (m.state === "uploaded") {
        if (!this.options.keepLocal) for (const o of m.objects) await rm(join(this.options.dir, o.file), { force: true });
        continue;
      }
      if (m.state === "recording") {
        const info = await this.options.describe(id);
        if (!info) {
          removeMarker(this.options.dir, id);
          continue;
        }
        writeMarker(this.options.dir, { ...m, state: "queued", info: withoutStorage(info) });
      }
      // Given up by an earlier process: a fresh retry time from now (its state says queued meanwhile).
      if (m.state === "failed") writeMarker(this.options.dir, { ...m, state: "queued", reason: undefined });
      this.options.log.info("recording upload resumed", { recording: id, state: m.state });
      this.push(id);
    }
  }

  /** Where `id` stands with the storage, from its marker; undefined without one. */
  storageOf(id: string, mediaOnDisk: boolean): RecordingStorage | undefined {
    const m = readMarker(this.options.dir, id);
    if (!m) return undefined;
    const s = this.options.storage;
    const voices = m.info?.voices ?? [];
    return {
      state: m.state,
      bucket: m.bucket,
      key: s.key(m.info?.file ?? `${id}`),
      timelineKey: s.key(`${id}.timeline.jsonl`),
      ...(voices.length ? { voiceKeys: voices.map((v) => s.key(v)) } : {}),
      ...(m.reason ? { reason: m.reason } : {}),
      local: mediaOnDisk,
    };
  }

  /** The marker of an uploaded recording (its info outlives the local files). */
  uploaded(id: string): UploadMarker | undefined {
    const m = readMarker(this.options.dir, id);
    return m?.state === "uploaded" ? m : undefined;
  }

  /** A presigned GET of one of `id`'s stored files, when it is uploaded; undefined otherwise. */
  async objectUrl(id: string, file: string, contentType: string, expiresS: number, disposition?: string): Promise<string | undefined> {
    const object = this.uploaded(id)?.objects.find((o) => o.file === file);
    return object ? this.options.storage.presign(object.key, expiresS, contentType, disposition) : undefined;
  }

  /** Is `id` being uploaded or waiting to be? */
  isPending(id: string): boolean {
    return this.current?.id === id || this.queue.includes(id);
  }

  /** Removes `id`'s stored objects and its marker (DELETE of a recording); refused by the caller while it is pending. */
  async forget(id: string): Promise<void> {
    const m = readMarker(this.options.dir, id);
    for (const o of m?.objects ?? []) await this.options.storage.delete(o.key);
    removeMarker(this.options.dir, id);
  }

  registerMetrics(registry: Registry): void {
    const counts = this.counts;
    const retries = () => this.retries;
    const inFlight = () => (this.current ? 1 : 0);
    const queued = () => this.queue.length;
    new Counter({
      name: "tessera_recording_uploads_total",
      help: "Recording uploads by outcome: succeeded (stored and verified), failed (given up; the files stay on disk)",
      labelNames: ["outcome"],
      registers: [registry],
      collect() {
        this.reset();
        for (const outcome of Object.keys(counts) as Outcome[]) this.inc({ outcome }, counts[outcome]);
      },
    });
    new Counter({
      name: "tessera_recording_upload_retries_total",
      help: "Recording upload attempts that failed and were retried after a back-off",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(retries());
      },
    });
    new Gauge({
      name: "tessera_recording_uploads_in_flight",
      help: "Recordings being uploaded now (one at a time)",
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
    new Gauge({
      name: "tessera_recording_uploads_queued",
      help: "Finished recordings waiting for their upload (the one in flight included)",
      registers: [registry],
      collect() {
        this.set(queued());
      },
    });
  }

  /**
   * Stops: waits up to `waitMs` for the upload in flight, then abandons it (its marker stays `queued`,
   * so the next start uploads it again) and the rest of the queue likewise. Never waits longer.
   */
  async close(waitMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    const running = this.running;
    if (running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
      if (this.current) {
        this.options.log.warn("recording upload left for the next start: the server is stopping", {
          recording: this.current.id,
          waiting: this.queue.length,
        });
        this.current.abort.abort();
        await Promise.race([running, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    }
    this.options.storage.close();
  }

  private push(id: string): void {
    if (this.stopping || this.isPending(id)) return;
    this.queue.push(id);
    this.emit("queued", id);
    if (this.looping) return;
    this.looping = true;
    this.running = this.run();
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopping) {
        const id = this.queue[0];
        const abort = new AbortController();
        this.current = { id, abort };
        try {
          await this.uploadWithRetries(id, abort.signal);
        } catch (err) {
          // A marker that cannot be written (disk failure): the upload is left for the next start.
          this.options.log.error("recording upload stopped by an error: left for the next start", { recording: id, error: describe(err) });
        } finally {
          this.current = undefined;
          this.queue.shift();
        }
      }
    } finally {
      this.looping = false;
    }
  }

  private async uploadWithRetries(id: string, signal: AbortSignal): Promise<void> {
    const firstAt = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.uploadOnce(id, signal);
        return;
      } catch (err) {
        if (this.stopping || signal.aborted) return;
        const error = describe(err);
        const retryInMs = jitteredBackoff(attempt, this.options.firstBackoffMs ?? 2000, this.options.maxBackoffMs ?? 300_000);
        const elapsed = performance.now() - firstAt;
        if (err instanceof PermanentUploadError || elapsed + retryInMs > this.options.retryForMs) {
          this.giveUp(
            id,
            err instanceof PermanentUploadError ? error : `${error}; gave up after ${attempt} attempts in ${Math.round(elapsed / 1000)} s`,
          );
          return;
        }
        this.retries++;
        this.options.log.warn("recording upload failed: retrying", { recording: id, attempt, retryInMs: Math.round(retryInMs), error });
        this.emit("retry", { id, attempt, error, retryInMs });
        await this.sleep(retryInMs);
        if (this.stopping) return;
      }
    }
  }

  private async uploadOnce(id: string, signal: AbortSignal): Promise<void> {
    let m = readMarker(this.options.dir, id);
    if (!m?.info || m.state === "uploaded") return;
    const info = m.info;
    const files = [info.file, `${id}.timeline.jsonl`, ...(info.voices ?? [])].filter((f): f is string => f !== undefined);
    for (const file of files) {
      if (m.objects.some((o) => o.file === file)) continue;
      const path = join(this.options.dir, file);
      const bytes = await stat(path).then(
        (s) => s.size,
        () => undefined,
      );
      if (bytes === undefined) {
        // The timeline of a recording killed before its first line may be missing; the media may not.
        if (file === info.file) throw new PermanentUploadError(`its file ${file} is no longer in RECORDINGS_DIR`);
        continue;
      }
      const sha256 = await fileSha256(path);
      const key = this.options.storage.key(file);
      await this.options.storage.put(path, key, contentTypeOf(file), sha256, signal, (p) =>
        this.emit("progress", { id, file, loaded: p.loaded, total: p.total }),
      );
      const mismatch = await this.options.storage.verify(key, bytes, sha256, signal);
      if (mismatch) throw new Error(`${file} did not verify: ${mismatch}`);
      const object: StoredObject = { file, key, bytes, sha256 };
      m = writeMarker(this.options.dir, { ...m, objects: [...m.objects, object] });
    }
    writeMarker(this.options.dir, { ...m, state: "uploaded", reason: undefined });
    // Only now, with every object verified and the marker saying so, do the local copies go.
    if (!this.options.keepLocal) for (const o of m.objects) await rm(join(this.options.dir, o.file), { force: true });
    this.counts.succeeded++;
    this.options.log.info("recording uploaded", {
      recording: id,
      bucket: this.bucket,
      objects: m.objects.length,
      bytes: m.objects.reduce((n, o) => n + o.bytes, 0),
      keptLocally: this.options.keepLocal,
    });
    this.emit("uploaded", { id, room: m.room, info, ...(m.finish ? { finish: m.finish } : {}) });
  }

  private giveUp(id: string, reason: string): void {
    const m = readMarker(this.options.dir, id);
    if (m) writeMarker(this.options.dir, { ...m, state: "failed", reason });
    this.counts.failed++;
    this.options.log.error("recording upload given up: its files stay in RECORDINGS_DIR (retried at the next start)", {
      recording: id,
      reason,
    });
    this.emit("failed", { id, room: m?.room ?? "", ...(m?.info ? { info: m.info } : {}), reason });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The info a marker keeps: where it is stored is the marker itself. */
function withoutStorage(info: RecordingInfo): RecordingInfo {
  const { storage: _storage, ...rest } = info;
  return rest;
}

/**
 * What an upload failure says, short, and never a local path (it goes to webhooks): a file system
 * error as strerror says it, else the SDK's or the network's error name and message.
 */
function describe(err: unknown): string {
  const e = err as Error & { code?: string; syscall?: string; path?: string };
  if (typeof e.path === "string") return `could not read a recording file: ${describeFailure(err)}`;
  return e.code && !e.message.includes(e.code) ? `${e.name}: ${e.message} (${e.code})` : `${e.name}: ${e.message}`;
}

/** The Content-Type each kind of recording file is stored with (and served with from a presigned link). */
export function contentTypeOf(file: string): string {
  if (file.endsWith(".mp4")) return "video/mp4";
  if (file.endsWith(".jsonl")) return "application/x-ndjson";
  return file.includes(".voice-") ? "audio/webm" : "video/webm";
}
