import { EventEmitter } from "node:events";
import { Ticker } from "../clock/ticker.js";
import { withLogFields, type MediaContext } from "../context.js";
import { computeLayout, sameTiles, type LayoutSpec } from "../layout/computeLayout.js";
import type { Rect } from "../layout/gridLayout.js";
import { VP8_CLOCK_RATE, Vp8Packetizer } from "../rtp/vp8Packetizer.js";
import { composeFrame } from "./compositor.js";
import type { LabelFont } from "./labelFont.js";
import { LabelRenderer } from "./labelRenderer.js";
import { createI420, type I420Frame } from "./i420.js";
import type { InputVideoCodec } from "./frameAssembler.js";
import { MixEncoder, type EncodedOutputFrame, type MixEncoderSettings } from "./mixEncoder.js";
import { VideoInput } from "./videoInput.js";
import type { RtpPacket } from "werift";

export interface VideoMixerOptions extends MixEncoderSettings {
  /** The longest time between two keyframes when nobody asks for one (a new receiver or a PLI does). */
  readonly keyframeIntervalMs: number;
  /** Names the room's ffmpeg children (`<label>:decode:<participant>`). */
  readonly label: string;
  /** The room's context: logger, process group, fault boundary, ffmpeg. */
  readonly context: MediaContext;
  /** A picture older than this is replaced by the participant's name card. */
  readonly staleAfterMs: number;
  /** The encoder may hold this many composed frames before new ones are dropped (it is behind). */
  readonly maxEncoderBacklog?: number;
  /** What names are drawn with (resolveLabelFont, once at start-up). */
  readonly labelFont: LabelFont;
}

interface Participant {
  readonly id: string;
  name: string;
  videoMuted: boolean;
  audioMuted: boolean;
  readonly input: VideoInput;
}

export interface VideoMixerStats {
  readonly framesComposed: number;
  readonly framesSent: number;
  readonly framesDropped: number;
  readonly keyframesSent: number;
  /** Keyframes asked for (a new receiver, a receiver's PLI), each answered by the next keyframe. */
  readonly keyframeRequests: number;
  readonly encoderRestarts: number;
  /** Participants' decoders restarted after dying on their own (re-layout restarts are not counted). */
  readonly decoderRestarts: number;
}

type VideoMixerEvents = {
  /** One serialized RTP packet of the mixed video; the same bytes go to every receiver. */
  rtp: [packet: Buffer];
  /** The tiles changed: senders should be asked for video of their tile's size. */
  layout: [tiles: ReadonlyMap<string, Rect>];
  /** An input needs a keyframe from its sender. */
  keyframeRequest: [participantId: string];
  /** Each encoded frame before packetizing (for a recording), with the time (performance.now) it was composed for. */
  encoded: [frame: EncodedMixFrame];
};

export interface EncodedMixFrame {
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  readonly composedAt: number;
}

const RTP_PAYLOAD_TYPE = 96;
/** Between one re-layout decoder start and the next: about what one of Debian's ffmpeg takes to start. */
const DECODER_START_SPACING_MS = 100;
/**
 * Forced keyframes are at least this far apart, however many receivers ask: a PLI storm costs at most five
 * keyframes a second. A request inside the gap waits for its end, so it is answered within about
 * this + one frame interval + one encode (~245 ms at 30 fps), under the 300 ms the mix promises.
 */
export const MIN_KEYFRAME_SPACING_MS = 200;

/**
 * The room's video: a fixed-rate compositor over the participants' latest pictures, feeding one encoder
 * whose output is packetized once for every receiver. The compositor never waits on an input, so the
 * output frame rate does not depend on any sender; joins and leaves only change the next picture drawn.
 */
export class VideoMixer extends EventEmitter<VideoMixerEvents> {
  private readonly participants = new Map<string, Participant>();
  private tiles = new Map<string, Rect>();
  private spec: LayoutSpec = { layout: "grid" };
  /** Drawn with a highlight in every layout, and large in the speaker layout. */
  private speaker: string | undefined;
  /** Started with start() (the first peer connected, or the first media): an empty room costs nothing. */
  private encoder: MixEncoder | undefined;
  private started = false;
  /** A receiver needs a keyframe: the next frame composed after MIN_KEYFRAME_SPACING_MS is one. */
  private keyframeOwed = false;
  /** When the last keyframe was asked of the encoder (composed time); -Infinity: the next frame is one. */
  private lastKeyframeAt = -Infinity;
  private readonly packetizer = new Vp8Packetizer(RTP_PAYLOAD_TYPE, (Math.random() * 0xffffffff) >>> 0);
  private readonly ticker: Ticker;
  private readonly poller: NodeJS.Timeout;
  private readonly composedAt = new Map<number, number>();
  private canvas: I420Frame | undefined;
  private frameIndex = 0;
  private readonly clockStart = performance.now();
  private lastTimestamp = -1;
  private closed = false;
  private readonly counters = { framesComposed: 0, framesSent: 0, framesDropped: 0, keyframesSent: 0, keyframeRequests: 0, encoderRestarts: 0 };
  /** Decoder crashes of participants who have left, so the room's total never goes down. */
  private departedDecoderCrashes = 0;
  /** Participants whose decoder may still need the current tile size (see resizeNext). */
  private readonly toResize = new Set<string>();
  private resizing: NodeJS.Timeout | undefined;
  /** Every tile's label, rendered once per name, mute state and tile width. */
  private readonly labels: LabelRenderer;

  constructor(private readonly options: VideoMixerOptions) {
    super();
    this.labels = new LabelRenderer({ outputHeight: options.height, font: options.labelFont });
    const { faults } = options.context;
    this.ticker = new Ticker(1000 / options.fps, faults.wrap("video compose tick", (_: number, at: number) => this.tick(at)));
    this.poller = setInterval(
      faults.wrap("video input poll", () => {
        const now = performance.now();
        for (const p of this.participants.values()) p.input.poll(now);
      }),
      20,
    );
  }

  get stats(): VideoMixerStats {
    let decoderRestarts = this.departedDecoderCrashes;
    for (const p of this.participants.values()) decoderRestarts += p.input.stats.decoderCrashes;
    return { ...this.counters, framesDropped: this.counters.framesDropped + this.ticker.skipped, decoderRestarts };
  }

  get layout(): ReadonlyMap<string, Rect> {
    return this.tiles;
  }

  /** Starts composing and encoding (once): called when the first receiver connects or media arrives. */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.encoder = this.startEncoder();
    this.ticker.start();
  }

  /** A receiver joined or lost pictures (PLI): the next frame is a keyframe (see MIN_KEYFRAME_SPACING_MS). */
  requestKeyframe(): void {
    this.counters.keyframeRequests++;
    const at = performance.now();
    if (at - this.lastKeyframeAt >= MIN_KEYFRAME_SPACING_MS && this.encoder?.keyframeNext()) {
      this.lastKeyframeAt = at;
      return;
    }
    this.keyframeOwed = true;
  }

  addParticipant(id: string, name: string): void {
    if (this.participants.has(id) || this.closed) return;
    const input = new VideoInput({
      label: `${this.options.label}:decode:${id}`,
      context: withLogFields(this.options.context, { participant: id }),
      requestKeyframe: () => this.emit("keyframeRequest", id),
    });
    this.participants.set(id, { id, name, videoMuted: false, audioMuted: false, input });
    this.relayout();
  }

  async removeParticipant(id: string): Promise<void> {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.departedDecoderCrashes += p.input.stats.decoderCrashes;
    this.relayout();
    await p.input.close();
  }

  setLayout(spec: LayoutSpec): void {
    this.spec = spec;
    this.relayout();
  }

  setActiveSpeaker(id: string | undefined): void {
    this.speaker = id;
    // Only the speaker layout moves tiles for a new speaker; elsewhere just the highlight moves.
    if (this.spec.layout !== "grid") this.relayout();
  }

  setVideoMuted(id: string, muted: boolean): void {
    const p = this.participants.get(id);
    if (p) p.videoMuted = muted;
  }

  /** Draws (or takes away) the mute badge on the participant's tile. */
  setAudioMuted(id: string, muted: boolean): void {
    const p = this.participants.get(id);
    if (p) p.audioMuted = muted;
  }

  setCodec(id: string, codec: InputVideoCodec): void {
    this.participants.get(id)?.input.setCodec(codec);
  }

  pushRtp(id: string, packet: RtpPacket): void {
    this.participants.get(id)?.input.pushRtp(packet);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ticker.stop();
    clearInterval(this.poller);
    clearTimeout(this.resizing);
    await Promise.all([this.encoder?.close(), ...[...this.participants.values()].map((p) => p.input.close())]);
    this.participants.clear();
  }

  private relayout(): void {
    const { tiles } = computeLayout(this.spec, [...this.participants.keys()], this.speaker, this.options);
    // Unchanged tiles keep their decoders and their senders' resolution: nothing to restart or tell anyone.
    if (sameTiles(tiles, this.tiles)) return;
    // A newcomer has no picture at all, the others keep their old decoder's: newcomers get theirs first.
    const newcomers = [...tiles.keys()].filter((id) => !this.tiles.has(id));
    const queued = [...this.toResize];
    this.toResize.clear();
    for (const id of [...newcomers, ...queued, ...tiles.keys()]) this.toResize.add(id);
    this.tiles = tiles;
    if (!this.resizing) this.resizeNext();
    this.emit("layout", this.tiles);
  }

  /**
   * A new tile size is a new decoder, and a re-layout resizes every tile. Started all at once they starved
   * the 20 ms audio clock, so listeners heard a gap (150-280 ms with Debian's ffmpeg, docs/decisions.md,
   * "Re-layout without a blank tile"): each spawn stops the event loop while Node forks this whole
   * process (10-40 ms), and each of Debian's ffmpeg then spends 100-140 ms of CPU starting up (it links some
   * 200 shared libraries), five of them at once on two cores. So the first starts now and the next
   * DECODER_START_SPACING_MS later, one at a time; meanwhile each old decoder keeps drawing its tile.
   * Inputs whose size did not change cost no wait. Each step reads the current tiles, so a re-layout
   * arriving mid-way is simply continued.
   */
  private resizeNext(): void {
    this.resizing = undefined;
    if (this.closed) return;
    for (const id of this.toResize) {
      this.toResize.delete(id);
      const rect = this.tiles.get(id);
      if (rect && this.participants.get(id)?.input.setTileSize(rect)) break;
    }
    if (this.toResize.size > 0) this.resizing = setTimeout(this.options.context.faults.wrap("decoder resize", () => this.resizeNext()), DECODER_START_SPACING_MS);
  }

  private tick(scheduledAt: number): void {
    const encoder = this.encoder;
    if (!encoder) return;
    if (encoder.backlog >= (this.options.maxEncoderBacklog ?? 3)) {
      this.counters.framesDropped++;
      return;
    }
    const now = performance.now();
    const tiles = [...this.tiles].map(([id, rect]) => {
      const p = this.participants.get(id)!;
      return { rect, name: p.name, highlight: id === this.speaker, audioMuted: p.audioMuted, frame: p.videoMuted ? undefined : p.input.currentFrame(now, this.options.staleAfterMs) };
    });
    // One canvas for the room's life: the encoder copies each frame as it takes it.
    this.canvas ??= createI420(this.options.width, this.options.height);
    const frame = composeFrame(this.options, tiles, this.labels, this.canvas);
    const sinceKeyframe = scheduledAt - this.lastKeyframeAt;
    const keyframe = (this.keyframeOwed && sinceKeyframe >= MIN_KEYFRAME_SPACING_MS) || sinceKeyframe >= this.options.keyframeIntervalMs;
    if (keyframe) {
      this.keyframeOwed = false;
      this.lastKeyframeAt = scheduledAt;
    }
    const index = this.frameIndex++;
    this.composedAt.set(index, scheduledAt);
    this.counters.framesComposed++;
    encoder.encode(frame.data, index, keyframe);
  }

  private startEncoder(): MixEncoder {
    const { context } = this.options;
    const encoder = new MixEncoder("vp8", this.options);
    const startedAt = performance.now();
    // A new encoder starts with a keyframe: receivers of the old one need it.
    this.lastKeyframeAt = -Infinity;
    const { faults } = context;
    encoder.on("frame", faults.wrap("mix encoder output", (frame: EncodedOutputFrame) => this.send(frame.data, frame.isKeyframe, frame.index)));
    encoder.on(
      "failed",
      faults.wrap("mix encoder failure", (error: Error) => {
        if (this.closed || this.encoder !== encoder) return;
        this.counters.encoderRestarts++;
        this.encoder = undefined;
        void encoder.close();
        // One that fails at once (settings the build refuses) is retried slowly, not in a spin.
        const delay = performance.now() - startedAt < 1000 ? 1000 : 0;
        context.log.warn("mix encoder failed: starting another", { error: error.message, delayMs: delay });
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

  private send(data: Buffer, isKeyframe: boolean, index: number): void {
    const composedAt = this.composedAt.get(index) ?? performance.now();
    this.composedAt.delete(index);
    // The RTP clock follows the compositor's schedule, so frames dropped under load leave a real gap
    // in time rather than making the video run fast.
    let timestamp = Math.round(((composedAt - this.clockStart) * VP8_CLOCK_RATE) / 1000);
    if (timestamp <= this.lastTimestamp) timestamp = this.lastTimestamp + 1;
    this.lastTimestamp = timestamp;
    if (isKeyframe) this.counters.keyframesSent++;
    this.counters.framesSent++;
    this.emit("encoded", { data, isKeyframe, composedAt });
    for (const packet of this.packetizer.packetize(data, timestamp)) this.emit("rtp", packet);
  }
}
