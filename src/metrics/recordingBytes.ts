import type { RecordingInfo } from "../rooms/conferenceRoom.js";

/**
 * Bytes written by every recording since the server started, from periodic readings of the recordings in
 * progress. A recording that stops is counted at its last reading, so up to one sampling interval of its
 * final writes is missed; see docs/api.md for how to make it exact.
 */
export class RecordingBytesLedger {
  private readonly inProgress = new Map<string, number>();
  private finished = 0;

  observe(rooms: Iterable<{ readonly activeRecording: RecordingInfo | undefined }>): void {
    const seen = new Set<string>();
    for (const room of rooms) {
      const recording = room.activeRecording;
      if (!recording) continue;
      seen.add(recording.id);
      // Never backwards: a counter that dipped would read as a reset to Prometheus.
      this.inProgress.set(recording.id, Math.max(recording.bytes, this.inProgress.get(recording.id) ?? 0));
    }
    for (const [id, bytes] of this.inProgress) {
      if (seen.has(id)) continue;
      this.finished += bytes;
      this.inProgress.delete(id);
    }
  }

  get total(): number {
    let total = this.finished;
    for (const bytes of this.inProgress.values()) total += bytes;
    return total;
  }
}
