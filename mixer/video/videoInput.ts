import type { RtpPacket } from "werift";
import type { FfmpegExit } from "../ffmpeg/ffmpegProcess.js";
import type { MediaContext } from "../context.js";
import type { Size } from "../layout/gridLayout.js";
import { ReorderBuffer } from "../rtp/reorderBuffer.js";
import { FrameAssembler } from "./frameAssembler.js";
import type { I420Frame } from "./i420.js";
import { KeyframeRequester } from "./keyframeRequester.js";
import { InProcessVideoDecoder } from "./inProcessDecoder.js";
import type { DecoderFit, ParticipantDecoder } from "./participantDecoder.js";
import { VideoDecoder } from "./videoDecoder.js";
import type { VideoCodec } from "./videoCodec.js";

export interface VideoInputOptions {
  /** Names this input's decoders (for metrics and logs). */
  readonly label: string;
  /** The room's context, with this participant's fields on its logger. */
  readonly context: MediaContext;
  /** Asks this participant's camera for a keyframe (the room sends the PLI). */
  readonly requestKeyframe: () => void;
  readonly reorderWaitMs?: number;
  /** How a picture of another shape fills the tile: `cover` crops (faces), `contain` letterboxes (screens). Default cover. */
  readonly fit?: DecoderFit;
}

/** What the mixer reads of an input (the room's decoder-restart count and decode-lag figure). */
export interface VideoInputStats {
  /** Decoders that died on their own and were started again (not re-layouts). */
  readonly decoderCrashes: number;
  readonly decodedFrames: number;
  /** The longest a picture of this input spent inside its decoders, from feeding to picture (ms). */
  readonly decodeLagMaxMs: number;
  /** Frames its decoders dropped as undecodable (decoding in process; ffmpeg children do not say). */
  readonly undecodableFrames: number;
}

/**
 * One participant's camera inside the mixer: RTP -> reorder -> whole frames -> decoder sized to the
 * participant's tile -> the latest decoded picture, which the compositor reads whenever it ticks. Nothing
 * here blocks the compositor: a slow or broken input just leaves an old (then stale) picture.
 */
export class VideoInput {
  private codec: VideoCodec = "vp8";
  private tile: Size | undefined;
  /** The decoder for the current tile size. */
  private decoder: ParticipantDecoder | undefined;
  /** The previous one, still drawing (at its old size) until `decoder` has a picture: no blank on re-layout. */
  private outgoing: ParticipantDecoder | undefined;
  private readonly reorder: ReorderBuffer<RtpPacket>;
  private assembler: FrameAssembler;
  private readonly keyframes: KeyframeRequester;
  /**
   * The picture the tile shows, and when it was last current: decoded then, or held then because the sender's
   * frames still arrive while its decoder skips to a keyframe (a freeze, as a browser shows, not a blank).
   */
  private latest: { frame: I420Frame; at: number } | undefined;
  private decoderCrashes = 0;
  private decodedFrames = 0;
  private decodeLagMaxMs = 0;
  /** Undecodable frames of decoders already retired. */
  private retiredUndecodable = 0;
  private closed = false;
  /** No decoder runs before the sender's first packet: a participant who never sends costs no process. */
  private mediaArrived = false;

  constructor(private readonly options: VideoInputOptions) {
    this.keyframes = new KeyframeRequester({ minIntervalMs: 250, maxIntervalMs: 2000 }, options.requestKeyframe);
    this.assembler = this.newAssembler();
    this.reorder = new ReorderBuffer<RtpPacket>(
      { maxWaitMs: options.reorderWaitMs ?? 80, maxPackets: 256 },
      { packet: (p) => this.assembler.packet(p), lost: () => this.assembler.lost() },
    );
  }

  setCodec(codec: VideoCodec): void {
    if (codec === this.codec) return;
    this.codec = codec;
    this.assembler = this.newAssembler();
    // A decoder of the old codec cannot show the new one: drop it rather than keep it as `outgoing`.
    void this.retire(this.decoder);
    this.decoder = undefined;
    this.restartDecoder();
  }

  /** The tile this input is drawn into; a new size means a new decoder (and a keyframe for it). True if it did. */
  setTileSize(size: Size): boolean {
    if (this.tile && this.tile.width === size.width && this.tile.height === size.height) return false;
    this.tile = size;
    this.restartDecoder();
    return true;
  }

  pushRtp(packet: RtpPacket, now = performance.now()): void {
    if (this.closed) return;
    if (!this.mediaArrived) {
      this.mediaArrived = true;
      this.restartDecoder();
    }
    this.reorder.push(packet, now);
  }

  /** Periodic housekeeping: flush gaps that waited too long, repeat unanswered keyframe requests. */
  poll(now = performance.now()): void {
    this.reorder.poll(now);
    this.keyframes.poll(now);
  }

  /** The newest decoded picture if it was current within maxAgeMs (see `latest`). */
  currentFrame(now: number, maxAgeMs: number): I420Frame | undefined {
    if (!this.latest || now - this.latest.at > maxAgeMs) return undefined;
    return this.latest.frame;
  }

  get stats(): VideoInputStats {
    return {
      decoderCrashes: this.decoderCrashes,
      decodedFrames: this.decodedFrames,
      decodeLagMaxMs: this.decodeLagMaxMs,
      undecodableFrames: this.retiredUndecodable + (this.decoder?.framesCorrupt ?? 0) + (this.outgoing?.framesCorrupt ?? 0),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const decoders = [this.decoder, this.outgoing];
    this.decoder = this.outgoing = undefined;
    await Promise.all(decoders.map((d) => this.retire(d)));
  }

  private newAssembler(): FrameAssembler {
    return new FrameAssembler(this.codec, {
      frame: (frame) => {
        if (frame.isKeyframe) this.keyframes.keyframeArrived();
        const now = performance.now();
        this.outgoing?.decode(frame, now);
        this.decoder?.decode(frame, now);
        if (this.latest && (this.decoder?.skippingToKeyframe || this.outgoing?.skippingToKeyframe)) this.latest.at = now;
        if (this.decoder?.waitingForKeyframe) this.keyframes.request(now);
      },
      needKeyframe: () => this.keyframes.request(performance.now()),
    });
  }

  private restartDecoder(): void {
    if (this.closed || !this.tile || !this.mediaArrived) return;
    const previous = this.decoder;
    if (previous && previous.framesOut > 0) {
      void this.retire(this.outgoing);
      this.outgoing = previous;
    } else {
      // Never produced a picture (e.g. two re-layouts in a row): nothing worth keeping on screen.
      void this.retire(previous);
    }
    const { context } = this.options;
    const decoder: ParticipantDecoder =
      context.videoDecoder === "inprocess"
        ? new InProcessVideoDecoder(this.codec, this.tile, context, this.options.fit)
        : new VideoDecoder(this.codec, this.tile, this.options.label, context, this.options.fit);
    const startedAt = performance.now();
    const { faults } = context;
    decoder.on(
      "frame",
      faults.wrap("participant decoder output", (frame: I420Frame) => {
        this.decodeLagMaxMs = Math.max(this.decodeLagMaxMs, decoder.lastLagMs);
        if (decoder === this.decoder) {
          this.decodedFrames++;
          this.latest = { frame, at: performance.now() };
          if (this.outgoing) {
            void this.retire(this.outgoing);
            this.outgoing = undefined;
          }
        } else if (decoder === this.outgoing) {
          this.latest = { frame, at: performance.now() };
        }
      }),
    );
    decoder.on(
      "needKeyframe",
      faults.wrap("participant decoder keyframe request", () => this.keyframes.request(performance.now())),
    );
    decoder.on(
      "exit",
      faults.wrap("participant decoder exit", (exit: FfmpegExit) => {
        if (exit.requested || this.closed) return;
        if (decoder === this.outgoing) {
          this.outgoing = undefined;
          return;
        }
        if (decoder !== this.decoder) return;
        // The decoder died under us (ffmpeg: bad bitstream, OOM; in process: FFmpeg failed outside a frame):
        // start a fresh one, which waits for a keyframe.
        this.decoderCrashes++;
        const crashedAtOnce = performance.now() - startedAt < 1000;
        context.log.warn("participant decoder died: starting another", {
          code: exit.code,
          signal: exit.signal,
          delayMs: crashedAtOnce ? 1000 : 0,
        });
        setTimeout(
          faults.wrap("participant decoder restart", () => this.decoder === decoder && this.restartDecoder()),
          crashedAtOnce ? 1000 : 0,
        );
      }),
    );
    this.decoder = decoder;
    this.keyframes.request(performance.now());
  }

  private async retire(decoder: ParticipantDecoder | undefined): Promise<void> {
    if (!decoder) return;
    this.retiredUndecodable += decoder.framesCorrupt;
    decoder.removeAllListeners("frame");
    await decoder.close();
  }
}
