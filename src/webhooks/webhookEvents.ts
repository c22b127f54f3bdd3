import type { Role, RoomMode } from "../../protocol/messages.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { StoredRecording } from "../recordings/upload/uploadJournal.js";

/**
 * Where a finished recording is: its file's name (in RECORDINGS_DIR unless uploaded and deleted), a
 * signed link to it when PUBLIC_URL is set, and its objects when it was uploaded (RECORDINGS_S3_BUCKET).
 */
export interface RecordingLocation {
  readonly file: string;
  /** A signed download link (RECORDING_LINK_TTL_S), absent without PUBLIC_URL; it redirects to the object once the local file is gone. */
  readonly url?: string;
  readonly urlExpiresAt?: string;
  /** The bucket and object keys, once uploaded and verified. */
  readonly storage?: StoredRecording;
}

/**
 * What the server tells WEBHOOK_URL, one JSON object per request: these fields plus `id` (the event's, the
 * same on every retry), `createdAt` and `room`. docs/webhooks.md lists them for receivers.
 */
export type WebhookEvent =
  | { type: "room.started"; mode: RoomMode }
  | { type: "room.finished"; mode: RoomMode }
  | { type: "participant.joined"; participant: { id: string; name: string; role: Role } }
  | { type: "participant.left"; participant: { id: string; name: string }; reason: string }
  | { type: "recording.started"; recording: { id: string; format: RecordingFormat; startedAt: string } }
  | {
      type: "recording.finished";
      recording: {
        id: string;
        format: RecordingFormat;
        startedAt: string;
        stoppedAt: string;
        durationMs: number;
        bytes: number;
        sha256: string;
        reason: string;
      } & RecordingLocation;
    }
  | { type: "recording.failed"; recording: { id: string; format: RecordingFormat; startedAt: string }; reason: string };

/** Where rooms send their events: the server's Webhooks when WEBHOOK_URL is set. */
export interface RoomEvents {
  send(room: string, event: WebhookEvent): void;
  /** Where a finished recording can be fetched (the file name, and a signed link when one can be made). */
  locate(id: string, file: string): RecordingLocation;
}
