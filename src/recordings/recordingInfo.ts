import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { RecordingStorage } from "./upload/uploadJournal.js";

/** One recording of a room's composite, live or finished. */
export interface RecordingInfo {
  /** Made by the server; names the file, never derived from the room name. */
  readonly id: string;
  readonly room: string;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  /** Bytes written to the media file so far. */
  readonly bytes: number;
  /** The media file's container (`webm`: VP8 + Opus, `mp4`: H264 + Opus). */
  readonly format?: RecordingFormat;
  /** The media file's name in RECORDINGS_DIR (`<id>.webm` or `<id>.mp4`); its timeline is `<id>.timeline.jsonl`. */
  readonly file?: string;
  /** Each participant's own voice (`<id>.voice-<participant>.webm`), when recorded apart; the timeline's `voice` lines say where each starts. */
  readonly voices?: readonly string[];
  /** Length of the media, once stopped. */
  readonly durationMs?: number;
  /**
   * The recording this one continues: the room's media worker died while that one was recording, and this
   * one started when the room was opened again on a live worker (docs/reliability.md).
   */
  readonly continues?: string;
  /** True for a recording that never stopped cleanly (its server was killed): it plays up to the kill. */
  readonly interrupted?: boolean;
  /** Its upload to RECORDINGS_S3_BUCKET, when one is configured: where the objects are, how far it got, whether the files are still here. */
  readonly storage?: RecordingStorage;
}

/**
 * Who asked for a recording: a participant from the page, an operator through the control API, or
 * AUTO_RECORD. An operator's recording is stopped only by an operator (or by the room closing).
 */
export type RecordingOrigin = "participant" | "api" | "auto";
