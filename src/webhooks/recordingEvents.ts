import type { RecordingInfo } from "../recordings/recordingInfo.js";
import type { RecordingLocation, WebhookEvent } from "./webhookEvents.js";

/** recording.finished of a complete recording: `info` as it ended, its stop reason and hash, where it is. */
export function recordingFinished(
  info: RecordingInfo,
  finish: { reason: string; sha256: string },
  location: RecordingLocation,
): WebhookEvent {
  return {
    type: "recording.finished",
    recording: {
      id: info.id,
      format: info.format ?? "webm",
      startedAt: info.startedAt,
      stoppedAt: info.stoppedAt ?? info.startedAt,
      durationMs: info.durationMs ?? 0,
      bytes: info.bytes,
      sha256: finish.sha256,
      reason: finish.reason,
      ...location,
    },
  };
}

/** recording.failed: why, for a recording that failed, had nothing to play, or whose upload was given up. */
export function recordingFailed(info: Pick<RecordingInfo, "id" | "format" | "startedAt">, reason: string): WebhookEvent {
  return { type: "recording.failed", recording: { id: info.id, format: info.format ?? "webm", startedAt: info.startedAt }, reason };
}
