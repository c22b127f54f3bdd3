import { EventEmitter } from "node:events";
import type { MediaContext } from "../context.js";
import { H264_CLOCK_RATE, H264Packetizer } from "../rtp/h264Packetizer.js";
import { VP8_CLOCK_RATE, Vp8Packetizer } from "../rtp/vp8Packetizer.js";
import { MixEncoder, type EncodedOutputFrame, type MixEncoderSettings } from "./mixEncoder.js";
import type { VideoCodec } from "./videoCodec.js";

export interface MixOutputOptions {
  readonly codec: VideoCodec;
  readonly settings: MixEncoderSettings;
  /** The longest time between two keyframes when nobody asks for one. */
  readonly keyframeIntervalMs: number;
  /** Frames the encoder may hold before new ones are dropped (it is behind). */
  readonly maxEncoderBacklog: number;
  /** The room's context: its fault boundary runs the encoder's callbacks, its logger reports restarts. */
  readonly context: MediaContext;
  /**
   * The performance.now() that RTP time 0 stands for: the same for every codec and rendition of the room,
   * so a receiver moved from one stream to another sees its timestamps run on.
   */
  readonly clockStart: number;
}

export interface EncodedMixFrame {
  readonly codec: VideoCodec;
  /** The rendition's size. */
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  /** The time (performance.now) the frame was composed for. */
  readonly composedAt: number;
}

export interface MixOutputStats {
  readonly framesDropped: number;
  readonly keyframesSent: number;
  readonly encoderRestarts: number;
}

type MixOutputEvents = {
  /**
   * One serialized RTP packet in this output's codec; the same bytes go to each of its receivers.
   * `keyframeStart`: the first packet of a keyframe, where a receiver can switch to this stream.
   */
  rtp: [packet: Buffer, keyframeStart: boolean];
  /** Each encoded frame before packetizing (a recording takes the VP8 ones). */
  encoded: [frame: EncodedMixFrame];
};

/** Payload type in the packets we make; werift rewrites it per receiver to what that receiver negotiated. */
const RTP_PAYLOAD_TYPE = 96;

/**
 * Forced keyframes are at least this far apart, however many receivers ask: a PLI storm costs at most five
 * keyframes a second. A request inside the gap waits for its end, so it is answered within about
 * this + one frame interval + one encode (~245 ms at 30 fps), under the 300 ms the mix promises.
 */
export const MIN_KEYFRAME_SPACING_MS = 200;

/**
 * The room's mix in one codec: its encoder, its packetizer and its keyframe policy. The room composes each
 * frame once and hands the same canvas to every output, so a room whose receivers want VP8 and H264 pays
 * two encodes and never one per receiver. An encoder that fails is replaced behind the same packetizer, so
 * receivers see sequence numbers and timestamps run on.
 */
export class MixOutput extends EventEmitter<MixOutputEvents> {
  private encoder: MixEncoder | undefined;
  private readonly packetizer: Vp8Packetizer | H264Packetizer;
  /** A receiver needs a keyframe: the next frame offered after MIN_KEYFRAME_SPACING_MS is one. */
  private keyframeOwed = false;
  /** When the last keyframe was asked of the encoder (composed time); -Infinity: the next frame is one. */
  private lastKeyframeAt = -Infinity;
  private readonly composedAt = new Map<number, number>();
  private frameIndex = 0;
  private lastTimestamp = -1;
  private closed = false;
  private readonly counters = { framesDropped: 0, keyframesSent: 0, encoderRestarts: 0 };
  private readonly clockRate: number;

  constructor(private readonly options: MixOutputOptions) {
    super();
    const ssrc = (Math.random() * 0xffffffff) >>> 0;
    this.packetizer = options.codec === "h264" ? new H264Packetizer(RTP_PAYLOAD_TYPE, ssrc) : new Vp8Packetizer(RTP_PAYLOAD_TYPE, ssrc);
    this.clockRate = options.codec === "h264" ? H264_CLOCK_RATE : VP8_CLOCK_RATE;
    this.encoder = this.startEncoder();
  }

  get codec(): VideoCodec {
    return this.options.codec;
  }

  get stats(): MixOutputStats {
    return { ...this.counters };
  }

  /** Two outputs' counts added up (a room's live outputs and those it has closed). */
  static addStats(a: MixOutputStats, b: MixOutputStats): MixOutputStats {
    return {
      framesDropped: a.framesDropped + b.framesDropped,
      keyframesSent: a.keyframesSent + b.keyframesSent,
      encoderRestarts: a.encoderRestarts + b.encoderRestarts,
    };
  }

  /** The encoder cannot take another frame now: the room need not compose one for this output. */
  get behind(): boolean {
    return !this.encoder || this.encoder.backlog >= this.options.maxEncoderBacklog;
  }

  /** A receiver of this codec joined or lost pictures (PLI): a keyframe comes as soon as the spacing allows. */
  requestKeyframe(): void {
    const at = performance.now();
    if (at - this.lastKeyframeAt >= MIN_KEYFRAME_SPACING_MS && this.encoder?.keyframeNext()) {
      this.lastKeyframeAt = at;
      return;
    }
    this.keyframeOwed = true;
  }

  /** The room's composed frame for `scheduledAt`; the encoder copies it at once, so the canvas may be redrawn. */
  encode(canvas: Buffer, scheduledAt: number): void {
    const encoder = this.encoder;
    if (!encoder || this.closed) return;
    if (this.behind) {
      this.counters.framesDropped++;
      return;
    }
    const sinceKeyframe = scheduledAt - this.lastKeyframeAt;
    const keyframe = (this.keyframeOwed && sinceKeyframe >= MIN_KEYFRAME_SPACING_MS) || sinceKeyframe >= this.options.keyframeIntervalMs;
    if (keyframe) {
      this.keyframeOwed = false;
      this.lastKeyframeAt = scheduledAt;
    }
    const index = this.frameIndex++;
    this.composedAt.set(index, scheduledAt);
    encoder.encode(canvas, index, keyframe);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const encoder = this.encoder;
    this.encoder = undefined;
    await encoder?.close();
    this.removeAllListeners();
  }

  private startEncoder(): MixEncoder {
    const { context, codec, settings } = this.options;
    const encoder = new MixEncoder(codec, settings);
    const startedAt = performance.now();
    // A new encoder starts with a keyframe: receivers of the old one need it.
    this.lastKeyframeAt = -Infinity;
    const { faults } = context;
    encoder.on(
      "frame",
      faults.wrap("mix encoder output", (frame: EncodedOutputFrame) => this.send(frame)),
    );
    encoder.on(
      "failed",
      faults.wrap("mix encoder failure", (error: Error) => {
        if (this.closed || this.encoder !== encoder) return;
        this.counters.encoderRestarts++;
        this.encoder = undefined;
        void encoder.close();
        // One that fails at once (settings the build refuses) is retried slowly, not in a spin.
        const delay = performance.now() - startedAt < 1000 ? 1000 : 0;
        context.log.warn("mix encoder failed: starting another", { codec, error: error.message, delayMs: delay });
        setTimeout(
          faults.wrap("mix encoder restart", () => {
            if (!this.closed && !this.encoder) this.encoder = this.startEncoder();
          }),
          delay,
        );
      }),
    );
    return encoder;
  }

  private send({ data, isKeyframe, index }: EncodedOutputFrame): void {
    const sentAt = performance.now();
    const composedAt = this.composedAt.get(index) ?? sentAt;
    this.composedAt.delete(index);
    // The RTP clock is the wall clock at the moment the frame leaves, not the compositor's schedule: a
    // receiver's jitter buffer sizes itself on how much arrival times wander from the timestamps, and a tick
    // that ran late or an encode that took long (tens to hundreds of ms on a busy machine) would count as
    // network jitter and be buffered for, on every frame after. Dropped frames still leave a real gap in time.
    let timestamp = Math.round(((sentAt - this.options.clockStart) * this.clockRate) / 1000);
    if (timestamp <= this.lastTimestamp) timestamp = this.lastTimestamp + 1;
    this.lastTimestamp = timestamp;
    if (isKeyframe) this.counters.keyframesSent++;
    const { width, height } = this.options.settings;
    this.emit("encoded", { codec: this.options.codec, width, height, data, isKeyframe, composedAt });
    let first = isKeyframe;
    for (const packet of this.packetizer.packetize(data, timestamp)) {
      this.emit("rtp", packet, first);
      first = false;
    }
  }
}
