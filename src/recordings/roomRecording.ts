import { statSync } from "node:fs";
import { basename } from "node:path";
import type { RoomMixer } from "../../mixer/roomMixer.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { MixRecording } from "../../mixer/recording/mixRecording.js";
import type { VoiceRecorderSettings } from "../../mixer/recording/voiceRecorder.js";
import { indexMp4 } from "../../mixer/recording/mp4Index.js";
import type { Logger } from "../log.js";
import type { RecordingInfo } from "./recordingInfo.js";
import type { Member } from "../rooms/participant.js";
import { participantInfo } from "../rooms/participant.js";
import { RecordingFailedError, recordingFailure } from "./recordingErrors.js";
import type { RecordingFiles, RecordingStore } from "./recordingStore.js";
import { fileSha256 } from "./fileHash.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";
import { recordingFailed, recordingFinished } from "../webhooks/recordingEvents.js";
import { TimelineWriter, type TimelineBody, type TimelineEvent } from "./timeline.js";
import { mp4HasMediaSync } from "./mp4Media.js";
import { fileHasMediaSync } from "./webmMedia.js";

export { InsufficientSpaceError, RecordingFailedError } from "./recordingErrors.js";

export interface RoomRecordingOptions {
  readonly room: string;
  readonly store: RecordingStore;
  readonly mixer: Pick<RoomMixer, "record">;
  /** The container (default webm). */
  readonly format?: RecordingFormat;
  /** Each participant's voice in a file of its own as well. */
  readonly voices?: boolean;
  /** Where recording.started, .finished and .failed go (webhooks); absent without WEBHOOK_URL. */
  readonly events?: RoomEvents;
  readonly output: { width: number; height: number; fps: number };
  /** The recording this one continues (RecordingInfo.continues). */
  readonly continues?: string;
  /** Who is in the room when the recording starts (the timeline's first line). */
  readonly roster: () => readonly Member[];
  readonly log: Logger;
  /** The recording stopped itself (a write failed); the room should forget it. `err.message` is safe to show. */
  readonly onFailed: (err: RecordingFailedError) => void;
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
  private readonly files: RecordingFiles;
  /** Events noted before time 0's start line, with their own media time when they have one (a voice's start). */
  private held: { event: TimelineEvent; t?: number }[] | undefined = [];
  private stopped: RecordingInfo | undefined;
  /** Why the recording failed, if it did. */
  private failedReason: string | undefined;
  private originWallMs = Date.now();
  /** Resolves when the media has its time 0 and the timeline its start line. */
  readonly ready: Promise<void>;

  /**
   * Starts the recording, or throws RecordingFailedError (InsufficientSpaceError when the disk is too
   * full to start) with a message fit for clients; the paths involved go to the log only.
   */
  constructor(private readonly options: RoomRecordingOptions) {
    // A write that fails later (a full disk) ends the recording; the room is told, and carries on.
    const failing = (what: string) => (err: Error) => {
      const failure = recordingFailure(what, err);
      options.log.error("recording failed", { recording: this.id, error: failure.message, cause: err.message, dir: options.store.dir });
      if (!this.stopped) {
        this.failedReason = failure.message;
        this.finalize("failed: " + failure.message);
        options.onFailed(failure);
      }
    };
    const refused = (failure: RecordingFailedError, path: string): RecordingFailedError => {
      const cause = failure.cause instanceof Error ? failure.cause.message : undefined;
      options.log.error("recording did not start", { error: failure.message, cause, path });
      return failure;
    };
    let files: RecordingFiles;
    try {
      files = options.store.allocate(new Date(), options.format ?? "webm");
    } catch (err) {
      throw refused(recordingFailure("start a recording", err), options.store.dir);
    }
    this.files = files;
    try {
      this.timeline = new TimelineWriter(files.timelinePath, failing("write the recording's timeline"));
    } catch (err) {
      throw refused(recordingFailure("create the recording's timeline file", err), files.timelinePath);
    }
    this.id = files.id;
    this.startedAt = new Date();
    try {
      this.media = options.mixer.record(files.mediaPath, files.format, options.voices ? this.voiceSettings(files.id) : undefined);
    } catch (err) {
      this.timeline.close();
      // Nothing was recorded: no empty timeline left behind either (the media file's writer removed its own).
      try {
        options.store.discard(files.id);
      } catch {
        /* the failure to report is the one above */
      }
      throw refused(recordingFailure("create the recording file", err), files.mediaPath);
    }
    this.media.onError = failing("write the recording");
    options.store.track(this.id, () => this.info());
    this.ready = this.media.started.then(() => {
      this.begin();
      if (!this.stopped)
        options.events?.send(options.room, {
          type: "recording.started",
          recording: { id: this.id, format: files.format, startedAt: this.info().startedAt },
        });
    });
    options.log.info("recording started", { recording: this.id });
  }

  private readonly voiceFiles: string[] = [];

  private voiceSettings(id: string): VoiceRecorderSettings {
    return {
      pathFor: (participant, part) => this.options.store.voicePath(id, participant, part),
      onStart: (participant, path, t) => {
        const file = basename(path);
        this.voiceFiles.push(file);
        const name = this.options.roster().find((m) => m.id === participant)?.name ?? "";
        // On the media path (the audio tick) already past time 0: the line goes straight out.
        this.note({ kind: "voice", participant: { id: participant, name }, file }, Math.round(t));
      },
    };
  }

  info(): RecordingInfo {
    if (this.stopped) return this.stopped;
    return {
      id: this.id,
      room: this.options.room,
      startedAt: new Date(this.originWallMs).toISOString(),
      bytes: this.media.bytes,
      format: this.files.format,
      file: basename(this.files.mediaPath),
      ...(this.voiceFiles.length ? { voices: [...this.voiceFiles] } : {}),
      ...(this.options.continues !== undefined ? { continues: this.options.continues } : {}),
    };
  }

  /** `t`: the event's own media time, when it has one (a voice file's start); else now. */
  note(event: TimelineEvent, t?: number): void {
    if (this.stopped) return;
    if (this.held) this.held.push({ event, t });
    else this.line(event, t);
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
      this.discardIfEmpty();
      this.options.store.whileCompleting(this.complete(this.stopped, reason));
    }
    return this.stopped;
  }

  // After the stop answer, off the media path (the store's shutdown waits for it): a clean stop of an MP4
  // gives it the classic index (moov first) players seek with (a failed rewrite leaves the fragmented
  // file, which plays, and is logged); a recording that failed keeps its fragments as they are (a failing
  // disk is no place for a rewrite). Then the webhook says how it ended.
  private async complete(info: RecordingInfo, reason: string): Promise<void> {
    if (this.files.format === "mp4" && info.file && this.failedReason === undefined) {
      const started = performance.now();
      try {
        const { packets } = await indexMp4(this.files.mediaPath, this.options.store.indexingPath(this.id));
        const bytes = statSync(this.files.mediaPath).size;
        this.stopped = { ...info, bytes };
        this.options.log.info("recording indexed", { recording: this.id, packets, bytes, ms: Math.round(performance.now() - started) });
      } catch (err) {
        this.options.log.warn("recording could not be indexed: its fragmented file stays as it is", {
          recording: this.id,
          error: (err as Error).message,
        });
      }
    }
    await this.announce(this.stopped!, reason);
  }

  /**
   * recording.finished once the file is complete (with a bucket: once it is uploaded and verified, sent
   * by the server when the uploader says so); recording.failed for one that failed or has nothing to play.
   * With a bucket every recording with media is queued for upload, a failed one included.
   */
  private async announce(done: RecordingInfo, reason: string): Promise<void> {
    const events = this.options.events;
    const store = this.options.store;
    const failed = (why: string) => events?.send(this.options.room, recordingFailed(done, why));
    if (this.failedReason !== undefined) {
      if (done.file) store.queueUpload(done);
      return failed(this.failedReason);
    }
    if (!done.file) return failed("the recording ended before any media reached its file; nothing was kept");
    if (!events && !store.uploader) return;
    let sha256: string;
    try {
      sha256 = await fileSha256(this.files.mediaPath);
    } catch (err) {
      store.queueUpload(done);
      return failed(`the finished file could not be read back: ${(err as Error).message}`);
    }
    if (store.queueUpload(done, { reason, sha256 })) return;
    events?.send(this.options.room, recordingFinished(done, { reason, sha256 }, events.locate(this.id, done.file)));
  }

  // Ended before any frame reached the file (the disk filled at the first cluster, or a stop before the
  // first frame): what is left is a header no player can open. It goes, with its timeline, rather than
  // sit in the directory as a recording of nothing.
  private discardIfEmpty(): void {
    try {
      if ((this.files.format === "mp4" ? mp4HasMediaSync : fileHasMediaSync)(this.files.mediaPath)) return;
    } catch {
      return; // cannot be read back: keep it rather than delete what might be a recording
    }
    try {
      this.options.store.discard(this.id);
    } catch (err) {
      this.options.log.warn("could not remove a recording with no media", { recording: this.id, error: (err as Error).message });
    }
    const { file: _file, voices: _voices, ...rest } = this.stopped!;
    this.stopped = rest;
    this.options.log.info("recording had no media: its files were removed", { recording: this.id });
  }

  private begin(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    // Wall clock of time 0: now, less the media time already elapsed since it.
    this.originWallMs = Date.now() - this.media.mediaTime();
    const participants = this.options.roster().map(participantInfo);
    const { room, output, continues } = this.options;
    this.line({ kind: "start", recording: this.id, room, output, participants, ...(continues !== undefined ? { continues } : {}) }, 0);
    // Someone who joined while the clock was starting is already in the start line's roster.
    const present = new Set(participants.map((p) => p.id));
    for (const { event, t } of held) if (!(event.kind === "join" && present.has(event.participant.id))) this.line(event, t ?? 0);
  }

  private line(event: TimelineBody, t = this.media.mediaTime()): void {
    this.timeline.write({ ...event, t, at: this.wallClock(t) });
  }

  private wallClock(t: number): string {
    return new Date(this.originWallMs + t).toISOString();
  }
}
