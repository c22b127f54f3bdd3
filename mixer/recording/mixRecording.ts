import type { FaultBoundary } from "../faults.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { MediaFileWriter } from "./mediaFileWriter.js";
import { Mp4Writer } from "./mp4Writer.js";
import { VoiceRecorder, type VoiceRecorderSettings } from "./voiceRecorder.js";
import { WebmWriter } from "./webmWriter.js";

export interface MixRecordingSettings {
  readonly width: number;
  readonly height: number;
  /** The container: WebM (VP8 + Opus, the default) or fragmented MP4 (H264 + Opus). */
  readonly format?: RecordingFormat;
  /** How long to wait for the mix's next keyframe before starting the clock without one. */
  readonly keyframeWaitMs?: number;
  /** The room's fault boundary, for the wait timer (the frames arrive through callbacks already guarded). */
  readonly faults?: FaultBoundary;
  /** Each participant's voice in a file of its own as well (from time 0 on). */
  readonly voices?: VoiceRecorderSettings;
}

/** Audio this old is kept while waiting for the first keyframe: the keyframe arrives after its own compose time. */
const PRE_ROLL_AUDIO_FRAMES = 25;

/**
 * One recording of a room's mix: the encoder's frames (VP8 for WebM, H264 for MP4) and the everyone-mix's Opus frames, on one
 * timeline that starts at 0 with the first video keyframe (earlier frames could not be decoded) and
 * follows the mixers' own clocks, so joins, leaves and stalls never shift audio against video.
 * Write failures (a full disk) end the recording, reported once through `onError`; they never throw
 * into the mixers.
 */
export class MixRecording {
  private readonly writer: MediaFileWriter;
  private readonly voiceRecorder: VoiceRecorder | undefined;
  private origin: number | undefined;
  private videoStarted = false;
  private preRoll: { payload: Buffer; at: number }[] = [];
  private voicePreRoll: { frames: ReadonlyMap<string, Int16Array | undefined>; at: number }[] = [];
  private resolveStarted!: () => void;
  private readonly waitTimer: NodeJS.Timeout;
  private done = false;
  /** Resolves once the timeline has its origin (the first keyframe, or the wait ran out). */
  readonly started: Promise<void>;
  /** Called once when the mixers detach from this recording. */
  onDetach: (() => void) | undefined;
  onError: ((err: Error) => void) | undefined;

  /** Creates `path` (refusing an existing file) and writes the WebM header. */
  constructor(path: string, settings: MixRecordingSettings) {
    const tracks = { width: settings.width, height: settings.height, audioChannels: 1 };
    this.writer = settings.format === "mp4" ? new Mp4Writer(path, tracks) : new WebmWriter(path, tracks);
    this.voiceRecorder = settings.voices && new VoiceRecorder(settings.voices);
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    const startWithoutKeyframe = () => this.setOrigin(performance.now());
    this.waitTimer = setTimeout(
      settings.faults?.wrap("recording keyframe wait", startWithoutKeyframe) ?? startWithoutKeyframe,
      settings.keyframeWaitMs ?? 3000,
    );
  }

  /** Bytes in the composite's file so far (voice files apart). */
  get bytes(): number {
    return this.writer.bytes;
  }

  /** Whether each participant's voice is written apart. */
  get recordsVoices(): boolean {
    return this.voiceRecorder !== undefined;
  }

  get durationMs(): number {
    return this.writer.durationMs;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Milliseconds since the recording's time 0 (0 until it has one). */
  mediaTime(now = performance.now()): number {
    return this.origin === undefined ? 0 : Math.max(0, Math.round(now - this.origin));
  }

  video(data: Buffer, isKeyframe: boolean, composedAt: number): void {
    if (this.done) return;
    if (!this.videoStarted) {
      // A keyframe composed before time 0 (the clock started without one) would be dropped below, and
      // everything after it would decode against nothing: wait for one at or after time 0.
      if (!isKeyframe || (this.origin !== undefined && composedAt < this.origin)) return;
      this.videoStarted = true;
      if (this.origin === undefined) this.setOrigin(composedAt);
    }
    if (composedAt < this.origin!) return;
    this.guard(() => this.writer.addVideo(composedAt - this.origin!, data, isKeyframe));
  }

  audio(payload: Buffer, at: number): void {
    if (this.done) return;
    if (this.origin === undefined) {
      this.preRoll.push({ payload, at });
      if (this.preRoll.length > PRE_ROLL_AUDIO_FRAMES) this.preRoll.shift();
      return;
    }
    if (at < this.origin) return;
    this.guard(() => this.writer.addAudio(at - this.origin!, payload));
  }

  /** Every participant's own 20 ms this tick (the audio mixer's voices tap), on the same clock as audio(). */
  voices(frames: ReadonlyMap<string, Int16Array | undefined>, at: number): void {
    const recorder = this.voiceRecorder;
    if (this.done || !recorder) return;
    if (this.origin === undefined) {
      // As for the mix's audio: the first keyframe is known only after its encode, later than its time.
      // Copied: an input's samples are its buffer, refilled next tick.
      this.voicePreRoll.push({ frames: new Map([...frames].map(([id, pcm]) => [id, pcm && Int16Array.from(pcm)])), at });
      if (this.voicePreRoll.length > PRE_ROLL_AUDIO_FRAMES) this.voicePreRoll.shift();
      return;
    }
    if (at < this.origin) return;
    this.guard(() => recorder.tick(frames, at - this.origin!));
  }

  /** Writes what is held and closes the file with its duration and cues (and the voice files). */
  finish(): void {
    this.end(() => {
      try {
        this.writer.finish();
      } finally {
        this.voiceRecorder?.finish();
      }
    });
  }

  private end(close: () => void): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.waitTimer);
    this.setOrigin(performance.now());
    this.onDetach?.();
    try {
      close();
    } catch (err) {
      this.onError?.(err as Error);
    }
  }

  private setOrigin(at: number): void {
    if (this.origin !== undefined) return;
    this.origin = at;
    clearTimeout(this.waitTimer);
    const held = this.preRoll;
    this.preRoll = [];
    for (const frame of held) this.audio(frame.payload, frame.at);
    const heldVoices = this.voicePreRoll;
    this.voicePreRoll = [];
    for (const tick of heldVoices) this.voices(tick.frames, tick.at);
    this.resolveStarted();
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.end(() => {
        this.writer.abandon();
        this.voiceRecorder?.abandon();
      });
      this.onError?.(err as Error);
    }
  }
}
