import type { RoomMixer } from "../../mixer/roomMixer.js";
import type { MixRecording } from "../../mixer/recording/mixRecording.js";
import type { Logger } from "../log.js";
import type { RecordingInfo } from "../rooms/conferenceRoom.js";
import type { Member } from "../rooms/participant.js";
import { participantInfo } from "../rooms/participant.js";
import type { RecordingStore } from "./recordingStore.js";
import { TimelineWriter, type TimelineBody, type TimelineEvent } from "./timeline.js";

/** The recording could not be started (RECORDINGS_DIR not writable, say); the message names the cause. */
export class RecordingFailedError extends Error {
  readonly code = "recording-failed";
}

export interface RoomRecordingOptions {
  readonly room: string;
  readonly store: RecordingStore;
  readonly mixer: RoomMixer;
  readonly output: { width: number; height: number; fps: number };
  /** Who is in the room when the recording starts (the timeline's first line). */
  readonly roster: () => readonly Member[];
  readonly log: Logger;
  /** The recording stopped itself (a write failed); the room should forget it. */
  readonly onFailed: (err: Error) => void;
}

/**
 * A room's recording as the control plane sees it: the mix's media file plus the timeline of who joined,
 * left, muted and spoke. Notes made before the media has its time 0 (the first keyframe, under a second
 * away) are held and written at t=0 after the start line.
 */
export class RoomRecording {
  readonly id: string;
  readonly startedAt: Date;
  private readonly media: MixRecording;
  private readonly timeline: TimelineWriter;
  private held: TimelineEvent[] | undefined = [];
  private stopped: RecordingInfo | undefined;
  private originWallMs = Date.now();
  /** Resolves when the media has its time 0 and the timeline its start line. */
  readonly ready: Promise<void>;

  constructor(private readonly options: RoomRecordingOptions) {
    // A write that fails later (a full disk) ends the recording; the room is told, and carries on.
    const fail = (err: Error) => {
      options.log.error("recording failed", { recording: this.id, error: err.message });
      if (!this.stopped) {
        this.finalize("failed: " + err.message);
        options.onFailed(err);
      }
    };
    let files: ReturnType<RecordingStore["allocate"]>;
    try {
      files = options.store.allocate();
      this.timeline = new TimelineWriter(files.timelinePath, fail);
    } catch (err) {
      throw new RecordingFailedError(`cannot write a recording in RECORDINGS_DIR ${options.store.dir}: ${(err as Error).message}`);
    }
    this.id = files.id;
    this.startedAt = new Date();
    try {
      this.media = options.mixer.record(files.mediaPath);
    } catch (err) {
      this.timeline.close();
      throw new RecordingFailedError(`cannot write the recording ${files.mediaPath}: ${(err as Error).message}`);
    }
    this.media.onError = fail;
    options.store.track(this.id, () => this.info());
    this.ready = this.media.started.then(() => this.begin());
    options.log.info("recording started", { recording: this.id });
  }

  info(): RecordingInfo {
    if (this.stopped) return this.stopped;
    return { id: this.id, room: this.options.room, startedAt: new Date(this.originWallMs).toISOString(), bytes: this.media.bytes, file: `${this.id}.webm` };
  }

  note(event: TimelineEvent): void {
    if (this.stopped) return;
    if (this.held) this.held.push(event);
    else this.line(event);
  }

  /** Finishes the media file (cues, duration) and closes the timeline with a stop line. */
  stop(reason: string): RecordingInfo {
    if (this.stopped) return this.stopped;
    const info = this.finalize(reason);
    this.options.log.info("recording stopped", { recording: this.id, reason, bytes: info.bytes, durationMs: info.durationMs });
    return info;
  }

  private finalize(reason: string): RecordingInfo {
    if (this.stopped) return this.stopped;
    this.begin();
    this.media.finish();
    const durationMs = this.media.durationMs;
    const t = this.media.mediaTime();
    // The stop line and the API's answer give the same instant.
    this.stopped = { ...this.info(), stoppedAt: this.wallClock(t), durationMs, bytes: this.media.bytes };
    try {
      this.line({ kind: "stop", reason, durationMs, bytes: this.stopped.bytes }, t);
      this.timeline.close();
    } finally {
      // Even if the timeline could not be closed, the media file is finished: it must not stay "in progress".
      this.options.store.untrack(this.id, this.stopped.bytes);
    }
    return this.stopped;
  }

  private begin(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    // Wall clock of time 0: now, less the media time already elapsed since it.
    this.originWallMs = Date.now() - this.media.mediaTime();
    const participants = this.options.roster().map(participantInfo);
    this.line({ kind: "start", recording: this.id, room: this.options.room, output: this.options.output, participants }, 0);
    // Someone who joined while the clock was starting is already in the start line's roster.
    const present = new Set(participants.map((p) => p.id));
    for (const event of held) if (!(event.kind === "join" && present.has(event.participant.id))) this.line(event, 0);
  }

  private line(event: TimelineBody, t = this.media.mediaTime()): void {
    this.timeline.write({ ...event, t, at: this.wallClock(t) });
  }

  private wallClock(t: number): string {
    return new Date(this.originWallMs + t).toISOString();
  }
}
