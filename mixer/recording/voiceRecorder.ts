import { FRAME_SAMPLES, OpusEncoder } from "../audio/opusCodec.js";
import { WebmWriter } from "./webmWriter.js";

/** Each voice's Opus bitrate: speech for transcription and remixing, mono. */
const VOICE_BITRATE = 32_000;
const SILENCE = new Int16Array(FRAME_SAMPLES);

export interface VoiceRecorderSettings {
  /**
   * The file of a participant's voice, the first tick they are present; `part` counts their presences (an
   * input removed and added again under the same id gets a second file rather than a clash).
   */
  readonly pathFor: (participantId: string, part: number) => string;
  /** A participant's file began at `t` (ms on the composite's clock): the timeline says so. */
  readonly onStart: (participantId: string, path: string, t: number) => void;
}

interface Voice {
  readonly writer: WebmWriter;
  readonly encoder: OpusEncoder;
  /** Composite time of the file's time 0. */
  readonly startT: number;
}

/**
 * Each participant's own voice in a file of its own (audio-only WebM, Opus), taken from the audio mixer's
 * tick before any mixing, so it runs on the composite's clock: a file starts at the first tick its
 * participant is present (its time 0 is that tick's composite time, which onStart reports) and ends when
 * they leave. Silence (muted, not talking, nothing arrived) is written as silence, so a file's time is the
 * composite's time minus its start throughout. Write failures throw to the caller (MixRecording's guard).
 */
export class VoiceRecorder {
  private readonly voices = new Map<string, Voice>();
  /** Files made per participant so far. */
  private readonly parts = new Map<string, number>();
  private done = false;

  constructor(private readonly settings: VoiceRecorderSettings) {}

  /** One 20 ms tick at composite time `t`: every present input's samples (undefined: silence). */
  tick(frames: ReadonlyMap<string, Int16Array | undefined>, t: number): void {
    if (this.done) return;
    for (const [id, voice] of this.voices) {
      if (!frames.has(id)) {
        this.voices.delete(id);
        close(voice);
      }
    }
    for (const [id, samples] of frames) {
      let voice = this.voices.get(id);
      if (!voice) {
        const part = (this.parts.get(id) ?? 0) + 1;
        this.parts.set(id, part);
        const path = this.settings.pathFor(id, part);
        voice = {
          writer: new WebmWriter(path, { width: 0, height: 0, audioChannels: 1, video: false }),
          encoder: new OpusEncoder(VOICE_BITRATE),
          startT: t,
        };
        this.voices.set(id, voice);
        this.settings.onStart(id, path, t);
      }
      voice.writer.addAudio(t - voice.startT, voice.encoder.encode(samples ?? SILENCE));
    }
  }

  /** Bytes in every voice file so far. */
  get bytes(): number {
    let n = 0;
    for (const v of this.voices.values()) n += v.writer.bytes;
    return n;
  }

  /** Finishes every open voice file (cues, duration). */
  finish(): void {
    this.end(close);
  }

  /** Closes every file as it stands (a write failed). */
  abandon(): void {
    this.end((v) => {
      v.encoder.close();
      v.writer.abandon();
    });
  }

  private end(closeOne: (v: Voice) => void): void {
    if (this.done) return;
    this.done = true;
    let failure: unknown;
    for (const v of this.voices.values()) {
      try {
        closeOne(v);
      } catch (err) {
        failure ??= err;
      }
    }
    this.voices.clear();
    if (failure) throw failure;
  }
}

function close(v: Voice): void {
  v.encoder.close();
  v.writer.finish();
}
