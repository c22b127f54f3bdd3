import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { RecordingStateError, type RecordingInfo } from "../rooms/conferenceRoom.js";
import { parseTimeline } from "./timeline.js";

/** A recording id: made by the server, UTC start time plus random hex. Nothing else names a file. */
export const RECORDING_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const MEDIA_SUFFIX = ".webm";
const TIMELINE_SUFFIX = ".timeline.jsonl";

export class RecordingNotFoundError extends Error {
  readonly code = "unknown-recording";
}

export interface RecordingFiles {
  readonly id: string;
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

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Names for a new recording's files, creating the directory on first use. */
  allocate(now = new Date()): RecordingFiles {
    mkdirSync(this.dir, { recursive: true });
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const id = `${stamp}-${randomBytes(4).toString("hex")}`;
    return { id, mediaPath: this.mediaPath(id), timelinePath: this.timelinePath(id) };
  }

  /** While a recording runs, list/get report `info()` rather than what is on disk, and delete refuses it. */
  track(id: string, info: () => RecordingInfo): void {
    this.active.set(id, info);
  }

  /** A recording has finished at `finalBytes`: it leaves the active set and joins the total written. */
  untrack(id: string, finalBytes: number): void {
    if (this.active.delete(id)) this.finishedBytes += finalBytes;
  }

  /** Bytes every recording in this directory has written since the process started, to the byte. */
  get bytesWritten(): number {
    let total = this.finishedBytes;
    for (const info of this.active.values()) total += info().bytes;
    return total;
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  mediaPath(id: string): string {
    return join(this.dir, checkedId(id) + MEDIA_SUFFIX);
  }

  timelinePath(id: string): string {
    return join(this.dir, checkedId(id) + TIMELINE_SUFFIX);
  }

  /** Newest first. */
  async list(): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const ids = names.filter((n) => n.endsWith(MEDIA_SUFFIX)).map((n) => n.slice(0, -MEDIA_SUFFIX.length)).filter((id) => RECORDING_ID.test(id));
    const infos = await Promise.all(ids.map((id) => this.get(id)));
    return infos.filter((i): i is RecordingInfo => i !== undefined).sort((a, b) => b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<RecordingInfo | undefined> {
    if (!RECORDING_ID.test(id)) return undefined;
    const live = this.active.get(id);
    if (live) return live();
    let bytes: number;
    try {
      bytes = (await stat(this.mediaPath(id))).size;
    } catch {
      return undefined;
    }
    const timeline = parseTimeline(await readFile(this.timelinePath(id), "utf8").catch(() => ""));
    return {
      id,
      room: timeline.start?.room ?? "",
      startedAt: timeline.start?.at ?? idTime(id),
      ...(timeline.stop ? { stoppedAt: timeline.stop.at, durationMs: timeline.stop.durationMs } : { interrupted: true }),
      bytes,
      file: id + MEDIA_SUFFIX,
    };
  }

  /** Removes the media file and its timeline; refuses one in progress. */
  async delete(id: string): Promise<void> {
    if (!RECORDING_ID.test(id)) throw new RecordingNotFoundError(`no recording "${id.slice(0, 64)}"`);
    if (this.active.has(id)) throw new RecordingStateError(`recording ${id} is in progress: stop it before deleting it`);
    try {
      await rm(this.mediaPath(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new RecordingNotFoundError(`no recording "${id}"`);
      throw err;
    }
    await rm(this.timelinePath(id), { force: true });
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

const stores = new Map<string, RecordingStore>();

/** One store per directory, shared by the rooms that record into it and the API that lists it. */
export function recordingStoreFor(dir: string): RecordingStore {
  const key = resolve(dir);
  let store = stores.get(key);
  if (!store) {
    store = new RecordingStore(key);
    stores.set(key, store);
  }
  return store;
}
