import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { RecordingStateError } from "../rooms/errors.js";
import type { RecordingInfo } from "./recordingInfo.js";
import type { RecordingStorage } from "./upload/uploadJournal.js";
import { InsufficientSpaceError, recordingFailure } from "./recordingErrors.js";
import { parseTimeline } from "./timeline.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import { mp4HasMedia } from "./mp4Media.js";
import { fileHasMedia } from "./webmMedia.js";
import { silentLogger, type Logger } from "../log.js";
import { RecordingUploader } from "./upload/recordingUploader.js";
import type { S3Storage } from "./upload/s3Storage.js";
import { markerIds, removeMarker } from "./upload/uploadJournal.js";

/** A recording id: made by the server, UTC start time plus random hex. Nothing else names a file. */
export const RECORDING_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
/** Each format's file suffix and the check that a file of it holds media; MP4 first when looking one up. */
const FORMATS: readonly { format: RecordingFormat; suffix: string; contentType: string; hasMedia: (path: string) => Promise<boolean> }[] = [
  { format: "mp4", suffix: ".mp4", contentType: "video/mp4", hasMedia: mp4HasMedia },
  { format: "webm", suffix: ".webm", contentType: "video/webm", hasMedia: fileHasMedia },
];
const TIMELINE_SUFFIX = ".timeline.jsonl";
/** `<id>.voice-<participant id>.webm`: one participant's voice. Never listed as a recording (the id test fails). */
const VOICE_INFIX = ".voice-";
const PARTICIPANT_ID = /^[0-9a-f-]{1,36}$/;
/** An MP4 being rewritten with a classic index after a clean stop (recordings/mp4Index.ts); never listed. */
const INDEXING_SUFFIX = ".indexing.mp4";

/** The HTTP Content-Type of a media file of `format`. */
export function mediaContentType(format: RecordingFormat): string {
  return FORMATS.find((f) => f.format === format)!.contentType;
}

/** A recording's media file as found on disk. */
export interface RecordingMedia {
  readonly path: string;
  readonly format: RecordingFormat;
  /** Its HTTP Content-Type. */
  readonly contentType: string;
}

export class RecordingNotFoundError extends Error {
  readonly code = "unknown-recording";
}

/**
 * The least free space a recording may start with: 256 MiB, about 20 minutes of the default output
 * (1.5 Mbit/s VP8 plus 48 kbit/s Opus, some 11.6 MB a minute), or 5 minutes at 6.5 Mbit/s. Below it a
 * start is refused (InsufficientSpaceError) rather than answered with a recording that dies within the
 * minute and leaves a file no player can open. It is checked at the start only: a recording that later
 * fills the disk ends there, playable up to its last cluster.
 */
export const DEFAULT_MIN_FREE_BYTES = 256 * 1024 * 1024;

export interface RecordingStoreOptions {
  /** Free bytes the directory's file system must have for a recording to start; default DEFAULT_MIN_FREE_BYTES. */
  readonly minFreeBytes?: number;
  /**
   * Upload finished recordings to this bucket (RECORDINGS_S3_*, in `storage.config`); absent, they stay
   * in the directory only. The store's uploader closes it.
   */
  readonly storage?: S3Storage;
  /** Where the uploader logs (default: nowhere). */
  readonly log?: Logger;
}

export interface RecordingFiles {
  readonly id: string;
  readonly format: RecordingFormat;
  readonly mediaPath: string;
  readonly timelinePath: string;
}

/**
 * The recordings directory: new file names, and what is there (listed from the directory itself, so
 * recordings outlive the process that made them). Recordings in progress report their live state and
 * cannot be deleted.
 */
export class RecordingStore {
  readonly dir: string;
  private readonly active = new Map<string, () => RecordingInfo>();
  private finishedBytes = 0;
  /** Work on stopped recordings' files (an MP4's index) that a shutdown waits for. */
  private readonly completing = new Set<Promise<unknown>>();
  readonly minFreeBytes: number;
  /** Uploads finished recordings to the bucket, with RECORDINGS_S3_BUCKET; the store closes it. */
  readonly uploader: RecordingUploader | undefined;
  private readonly log: Logger;

  constructor(dir: string, options: RecordingStoreOptions = {}) {
    this.dir = resolve(dir);
    this.minFreeBytes = options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    this.log = options.log ?? silentLogger;
    const storage = options.storage;
    this.uploader = storage
      ? new RecordingUploader({
          dir: this.dir,
          idShape: RECORDING_ID,
          storage,
          keepLocal: storage.config.keepLocal,
          retryForMs: storage.config.retryForMs,
          log: this.log.child({ component: "uploads" }),
          describe: (id) => this.get(id),
        })
      : undefined;
  }

  /** At start: uploads that a previous process left waiting, running or given up are queued again. */
  async resumeUploads(): Promise<void> {
    await this.uploader?.resume((id) => this.isActive(id));
  }

  /**
   * A recording's files are complete (after an MP4's index): with a bucket, it is queued for upload and
   * true is returned (recording.finished then waits for the verified upload); false without one.
   * `finish`: for a recording that ended well.
   */
  queueUpload(info: RecordingInfo, finish?: { reason: string; sha256: string }): boolean {
    if (!this.uploader) return false;
    try {
      this.uploader.enqueue(info, finish);
      return true;
    } catch (err) {
      this.log.error("recording could not be queued for upload: it stays in RECORDINGS_DIR only", {
        recording: info.id,
        error: (err as Error).message,
      });
      return false;
    }
  }

  /** A presigned GET of one of an uploaded recording's objects (its local copy gone), or undefined. */
  objectUrl(id: string, file: string, contentType: string, expiresS: number, disposition?: string): Promise<string | undefined> {
    return this.uploader?.objectUrl(checkedId(id), file, contentType, expiresS, disposition) ?? Promise.resolve(undefined);
  }

  /** Stops the uploader: an upload in flight gets up to `waitMs`, then is left for the next start. */
  async close(waitMs: number): Promise<void> {
    await this.uploader?.close(waitMs);
  }

  /**
   * Names for a new recording's files, creating the directory on first use. Throws
   * InsufficientSpaceError if its file system has less than `minFreeBytes` free, RecordingFailedError
   * if the directory cannot be made or measured (messages without the path: it is in `cause`).
   */
  allocate(now = new Date(), format: RecordingFormat = "webm"): RecordingFiles {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw recordingFailure("create the recordings directory (RECORDINGS_DIR)", err);
    }
    const free = this.freeBytes();
    if (free < this.minFreeBytes) throw new InsufficientSpaceError(free, this.minFreeBytes);
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const id = `${stamp}-${randomBytes(4).toString("hex")}`;
    return { id, format, mediaPath: this.mediaPath(id, format), timelinePath: this.timelinePath(id) };
  }

  /** While a recording runs, list/get report `info()` rather than what is on disk, and delete refuses it. */
  track(id: string, info: () => RecordingInfo): void {
    this.active.set(id, info);
    try {
      this.uploader?.noteStarted(id, info().room);
    } catch (err) {
      // The marker is written again when the recording finishes; only a kill before then would miss it.
      this.log.warn("could not write a recording's upload marker", { recording: id, error: (err as Error).message });
    }
  }

  /** A recording has finished at `finalBytes`: it leaves the active set and joins the total written. */
  untrack(id: string, finalBytes: number): void {
    if (this.active.delete(id)) this.finishedBytes += finalBytes;
  }

  /** Work on a stopped recording's files that must end before the process does (server.close waits for it). */
  whileCompleting(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.completing.delete(tracked));
    tracked.catch(() => undefined);
    this.completing.add(tracked);
  }

  /** Resolves once no recording's files are being completed (the shutdown grace bounds the wait). */
  async settled(): Promise<void> {
    for (let round = 0; round < 100 && this.completing.size > 0; round++) await Promise.allSettled([...this.completing]);
  }

  /** Bytes every recording in this directory has written since the process started, to the byte. */
  get bytesWritten(): number {
    let total = this.finishedBytes;
    for (const info of this.active.values()) total += info().bytes;
    return total;
  }

  /** Bytes an unprivileged process may still write in the directory's file system (before it exists: its parent's). */
  freeBytes(): number {
    let dir = this.dir;
    for (;;) {
      try {
        const fs = statfsSync(dir);
        return fs.bavail * fs.bsize;
      } catch (err) {
        const parent = dirname(dir);
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || parent === dir)
          throw recordingFailure("measure the free space in RECORDINGS_DIR", err);
        dir = parent;
      }
    }
  }

  /** Removes a recording's files outright: for one that ended with no media, which nobody could play. */
  discard(id: string): void {
    for (const f of FORMATS) rmSync(this.mediaPath(id, f.format), { force: true });
    rmSync(this.timelinePath(id), { force: true });
    const prefix = checkedId(id) + VOICE_INFIX;
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      // no directory, no voice files
    }
    for (const n of names) if (n.startsWith(prefix)) rmSync(join(this.dir, n), { force: true });
    // Nothing to upload either.
    removeMarker(this.dir, id);
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  mediaPath(id: string, format: RecordingFormat = "webm"): string {
    return join(this.dir, checkedId(id) + FORMATS.find((f) => f.format === format)!.suffix);
  }

  /**
   * A participant's own voice in a recording that writes them apart (participant ids are server-made):
   * `<id>.voice-<participant>.webm`, then `…-2.webm` for a second presence under the same id.
   */
  voicePath(id: string, participantId: string, part = 1): string {
    if (!PARTICIPANT_ID.test(participantId)) throw new Error(`"${participantId.slice(0, 64)}" is not a participant id`);
    return join(this.dir, `${checkedId(id)}${VOICE_INFIX}${participantId}${part > 1 ? `-${part}` : ""}.webm`);
  }

  /** The voice files of a recording, by name. */
  async voiceFiles(id: string): Promise<string[]> {
    const prefix = checkedId(id) + VOICE_INFIX;
    return (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith(".webm")).sort();
  }

  /** Where an MP4 is rewritten with its index before it replaces the recording's file. */
  indexingPath(id: string): string {
    return join(this.dir, checkedId(id) + INDEXING_SUFFIX);
  }

  /** The recording's media file (whichever format it was written in), if there is one. */
  async media(id: string): Promise<RecordingMedia | undefined> {
    for (const f of FORMATS) {
      const path = this.mediaPath(id, f.format);
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        return { path, format: f.format, contentType: f.contentType };
    }
    return undefined;
  }

  timelinePath(id: string): string {
    return join(this.dir, checkedId(id) + TIMELINE_SUFFIX);
  }

  /** Newest first. Files with no media (a header a failed or killed recording left) are not recordings. */
  async list(): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const local = FORMATS.flatMap((f) => names.filter((n) => n.endsWith(f.suffix)).map((n) => n.slice(0, -f.suffix.length))).filter((id) =>
      RECORDING_ID.test(id),
    );
    // Uploaded recordings whose files were deleted here are listed from their markers.
    const ids = [...new Set([...local, ...(this.uploader ? markerIds(this.dir, RECORDING_ID) : [])])];
    const infos = await Promise.all(ids.map((id) => this.get(id)));
    return infos.filter((i): i is RecordingInfo => i !== undefined).sort((a, b) => b.id.localeCompare(a.id));
  }

  /**
   * A recording in progress as it stands (under a second after its start it may have no media yet), one
   * on disk if its file has media; undefined otherwise.
   */
  async get(id: string): Promise<RecordingInfo | undefined> {
    if (!RECORDING_ID.test(id)) return undefined;
    const live = this.active.get(id);
    if (live) return live();
    const media = await this.media(id);
    if (!media) {
      const uploaded = this.uploader?.uploaded(id)?.info;
      return uploaded && { ...uploaded, storage: this.uploader!.storageOf(id, false) };
    }
    let bytes: number;
    try {
      bytes = (await stat(media.path)).size;
    } catch {
      return undefined;
    }
    if (!(await FORMATS.find((f) => f.format === media.format)!.hasMedia(media.path))) return undefined;
    const timeline = parseTimeline(await readFile(this.timelinePath(id), "utf8").catch(() => ""));
    const voices = await this.voiceFiles(id);
    return {
      id,
      room: timeline.start?.room ?? "",
      startedAt: timeline.start?.at ?? idTime(id),
      ...(timeline.start?.continues !== undefined ? { continues: timeline.start.continues } : {}),
      ...(timeline.stop ? { stoppedAt: timeline.stop.at, durationMs: timeline.stop.durationMs } : { interrupted: true }),
      bytes,
      format: media.format,
      file: basename(media.path),
      ...(voices.length ? { voices } : {}),
      ...this.storageField(id),
    };
  }

  private storageField(id: string): { storage?: RecordingStorage } {
    const storage = this.uploader?.storageOf(id, true);
    return storage ? { storage } : {};
  }

  /** Removes the media file and its timeline (also a stub that is not listed); refuses one in progress. */
  async delete(id: string): Promise<void> {
    if (!RECORDING_ID.test(id)) throw new RecordingNotFoundError(`no recording "${id.slice(0, 64)}"`);
    if (this.active.has(id)) throw new RecordingStateError(`recording ${id} is in progress: stop it before deleting it`);
    if (this.uploader?.isPending(id)) throw new RecordingStateError(`recording ${id} is being uploaded: delete it once its upload is done`);
    const media = await this.media(id);
    const uploaded = this.uploader?.uploaded(id);
    if (!media && !uploaded) throw new RecordingNotFoundError(`no recording "${id}"`);
    // The stored objects first: if the storage refuses, the record of them stays.
    await this.uploader?.forget(id);
    try {
      if (media) await rm(media.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && !uploaded) throw new RecordingNotFoundError(`no recording "${id}"`);
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await rm(this.timelinePath(id), { force: true });
    await rm(this.indexingPath(id), { force: true });
    for (const n of await this.voiceFiles(id)) await rm(join(this.dir, n), { force: true });
  }
}

function checkedId(id: string): string {
  // The one guard between a caller's string and a path: nothing but the server's own id shape passes.
  if (!RECORDING_ID.test(id)) throw new RecordingNotFoundError(`"${id.slice(0, 64)}" is not a recording id`);
  return id;
}

function idTime(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}
