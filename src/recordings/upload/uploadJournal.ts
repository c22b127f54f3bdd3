import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { recordingFormats } from "../../../protocol/recordingFormat.js";

/** `<id>.upload.json` beside the recording's files: the durable record of its upload. */
export const MARKER_SUFFIX = ".upload.json";

/**
 * Where a recording stands with the storage:
 * - `recording`: it runs (written at its start, so a recording whose process is killed is still uploaded on the next start);
 * - `queued`: finished, waiting for or in upload;
 * - `uploaded`: every file uploaded and verified (the local copies are gone unless kept);
 * - `failed`: the upload was given up (RECORDINGS_S3_RETRY_FOR_S ran out); the files stay on disk and the next start tries again.
 */
export const uploadStates = ["recording", "queued", "uploaded", "failed"] as const;
export type UploadState = (typeof uploadStates)[number];

/** Where a recording's objects are (RecordingInfo.storage, webhooks' recording.finished). */
export interface StoredRecording {
  readonly bucket: string;
  /** The media file's object key (RECORDINGS_S3_PREFIX + its file name). */
  readonly key: string;
  readonly timelineKey: string;
  readonly voiceKeys?: readonly string[];
}

/** RecordingInfo.storage: the objects, the upload's state, and whether the files are still in RECORDINGS_DIR. */
export interface RecordingStorage extends StoredRecording {
  readonly state: UploadState;
  /** Why the upload was given up (`failed`). */
  readonly reason?: string;
  /** The media file is still on disk (links stream it from there); false once it was deleted after the upload. */
  readonly local: boolean;
}

/** One file stored and verified. */
const storedObject = z.object({ file: z.string(), key: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string() });
export type StoredObject = z.infer<typeof storedObject>;

/** The store's RecordingInfo as the marker keeps it (checked field by field when read back). */
const recordingInfo = z.object({
  id: z.string(),
  room: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().optional(),
  bytes: z.number(),
  format: z.enum(recordingFormats).optional(),
  file: z.string().optional(),
  voices: z.array(z.string()).readonly().optional(),
  durationMs: z.number().optional(),
  interrupted: z.boolean().optional(),
});

const marker = z.object({
  v: z.literal(1),
  id: z.string(),
  room: z.string(),
  state: z.enum(uploadStates),
  bucket: z.string(),
  /** The recording as it finished (absent while it runs). */
  info: recordingInfo.optional(),
  /** What recording.finished needs beyond `info`, for a recording that ended well; absent for one that failed or was cut short. */
  finish: z.object({ reason: z.string(), sha256: z.string() }).optional(),
  /** Files stored and verified so far (a resumed upload skips them). */
  objects: z.array(storedObject).default([]),
  /** Why the upload was given up (`failed`). */
  reason: z.string().optional(),
  updatedAt: z.string(),
});
export type UploadMarker = z.infer<typeof marker>;

export function markerPath(dir: string, id: string): string {
  return join(dir, id + MARKER_SUFFIX);
}

/** The marker of `id`, or undefined if there is none or it cannot be read as one (a torn write is replaced by the rename below, never seen). */
export function readMarker(dir: string, id: string): UploadMarker | undefined {
  let text: string;
  try {
    text = readFileSync(markerPath(dir, id), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = marker.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.id === id ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole to a temporary name and renamed over the old one: a crash leaves the old marker or the new, never half of one. */
export function writeMarker(dir: string, m: Omit<UploadMarker, "updatedAt" | "v">): UploadMarker {
  const full: UploadMarker = { v: 1, ...m, updatedAt: new Date().toISOString() };
  const path = markerPath(dir, m.id);
  writeFileSync(`${path}.tmp`, JSON.stringify(full));
  renameSync(`${path}.tmp`, path);
  return full;
}

export function removeMarker(dir: string, id: string): void {
  rmSync(markerPath(dir, id), { force: true });
  rmSync(`${markerPath(dir, id)}.tmp`, { force: true });
}

/** The ids of every marker in `dir` whose id has the server's shape. */
export function markerIds(dir: string, idShape: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(MARKER_SUFFIX))
    .map((n) => n.slice(0, -MARKER_SUFFIX.length))
    .filter((id) => idShape.test(id));
}
