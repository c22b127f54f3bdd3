import { EventEmitter } from "node:events";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { Ticker } from "../clock/ticker.js";
import { withLogFields, type MediaContext } from "../context.js";
import { computeLayout, sameTiles, type Assignment } from "../layout/computeLayout.js";
import { placeTiles } from "../layout/placement.js";
import type { Rect } from "../layout/gridLayout.js";
import { composeFrame } from "./compositor.js";
import type { LabelFont } from "./labelFont.js";
import { LabelRenderer } from "./labelRenderer.js";
import { createI420, type I420Frame } from "./i420.js";
import type { MixEncoderSettings } from "./mixEncoder.js";
import { MixOutput, type EncodedMixFrame, type MixOutputStats } from "./mixOutput.js";
import { VideoInput } from "./videoInput.js";
import { mixStreamKey, type MixStream } from "./renditionLadder.js";
import type { Size } from "../layout/gridLayout.js";
import type { RtpPacket } from "werift";
import type { VideoCodec } from "./videoCodec.js";
import { NEVER_MUTED, type MuteState } from "../muteState.js";

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
  /** A camera, or a shared screen (drawn whole, never cropped, in the layout's `screen` region). */
  readonly kind: "camera" | "screen";
  name: string;
  /** The room's record of the sender's mutes, read at each picture drawn. */
  readonly mutes: MuteState;
  readonly input: VideoInput;
}

export interface VideoMixerStats {
  readonly framesComposed: number;
  /** Composed frames that went out, once each however many codecs carried them (the mix's frame rate). */
  readonly framesSent: number;
  readonly framesDropped: number;
  /** Keyframes out, summed over the codecs: each codec's receivers need their own. */
  readonly keyframesSent: number;
  /** Keyframes asked for (a new receiver, a receiver's PLI), each answered by the next keyframe. */
  readonly keyframeRequests: number;
  readonly encoderRestarts: number;
  /** The codecs the mix is being encoded in now (in one rendition or more). */
  readonly outputCodecs: readonly VideoCodec[];
  /** The streams being encoded now, one encoder each (`vp8:1280x720`, `vp8:640x360`…). */
  readonly outputStreams: readonly string[];
  /** Participants' decoders restarted after dying on their own (re-layout restarts are not counted). */
  readonly decoderRestarts: number;
  /** The longest a present participant's picture spent inside its decoder (ms): how late a tile can be. */
  readonly decodeLagMaxMs: number;
  /** Participants' frames dropped as undecodable (decoding in process), those who left included. */
  readonly undecodableFrames: number;
}

type VideoMixerEvents = {
  /**
   * One serialized RTP packet of one stream of the mix; the same bytes go to each receiver of that stream.
   * `keyframeStart`: the first packet of a keyframe (a receiver may switch to this stream here).
   */
  rtp: [packet: Buffer, stream: MixStream, keyframeStart: boolean];
  /** The tiles changed: senders should be asked for video of their tile's size. */
  layout: [tiles: ReadonlyMap<string, Rect>];
  /** An input needs a keyframe from its sender. */
  keyframeRequest: [participantId: string];
  /** Each encoded frame of every codec before packetizing (for a recording), with the time it was composed for. */
  encoded: [frame: EncodedMixFrame];
};

export type { EncodedMixFrame };
/**
 * One size of the composite (the main one, or a smaller or upright one some receiver takes): its own tiles,
 * names rendered for its height, and one encoder per codec its receivers take.
 */
interface Rendition {
  readonly size: Size;
  /** The main rendition's tiles are what the decoders are sized for; the others scale those pictures. */
  readonly main: boolean;
  tiles: Map<string, Rect>;
  /** Corner radii (pixels) of this size's rounded tiles. */
  rounding: Map<string, number>;
  readonly labels: LabelRenderer;
  canvas: I420Frame | undefined;
  readonly outputs: Map<VideoCodec, MixOutput>;
}

const sizeKey = (s: Size) => `${s.width}x${s.height}`;

/**
 * A screen's last picture is held this long without a new frame (a camera's, STALE_VIDEO_MS). A still screen
 * sends next to nothing (a canvas or a window sends a frame only when it changes; Chrome repeats an idle
 * screen's frame about once a second): drawn as a name card after half a second, it would flicker. A share
 * whose connection fails is ended by the room, not by staleness.
 */
const SCREEN_STALE_AFTER_MS = 30_000;

/** Between one re-layout decoder start and the next: about what one of Debian's ffmpeg takes to start. */
const DECODER_START_SPACING_MS = 100;
/**
 * The room's video: a fixed-rate compositor over the participants' latest pictures, feeding one encoder
 * per codec in use (VP8 by default, H264 for receivers that prefer it), each packetized once for all its
 * receivers. The compositor never waits on an input, so the output frame rate does not depend on any
 * sender; joins and leaves only change the next picture drawn.
 */
export class VideoMixer extends EventEmitter<VideoMixerEvents> {
  private readonly participants = new Map<string, Participant>();
  private tiles = new Map<string, Rect>();
  private rounding = new Map<string, number>();
  /** The room's layout choice: its one record (the room hands it over and reads it back as `layoutChoice`). */
  private spec: LayoutChoice = { layout: "grid" };
  /** The choice as it stands now, from the last computeLayout (a departed pin's `speaker`). */
  private standing: LayoutChoice = this.spec;
  /** Who is in which region now: the next re-layout keeps whoever need not move (stable placement). */
  private assignment: Assignment | undefined;
  /** Drawn with a highlight in every layout, and large in the speaker layout. */
  private speaker: string | undefined;
  /**
   * The sizes being composed, by `WxH`, each with its encoders. Encoders run from start() (the first peer
   * connected, or the first media): an empty room costs nothing.
   */
  private readonly renditions = new Map<string, Rendition>();
  /** The streams receivers (and recordings) need; the main size in VP8 alone until told otherwise. */
  private wanted: readonly MixStream[];
  private started = false;
  private readonly ticker: Ticker;
  private readonly poller: NodeJS.Timeout;
  private readonly clockStart = performance.now();
  private closed = false;
  private readonly counters = { framesComposed: 0, framesSent: 0, framesDropped: 0, keyframeRequests: 0 };
  /** The composed time of the latest frame counted as sent: a frame out in two codecs counts once. */
  private lastSentComposedAt = -Infinity;
  /** Counts of outputs closed since (a codec nobody needs any more), so the room's totals never go down. */
  private retired: MixOutputStats = { framesDropped: 0, keyframesSent: 0, encoderRestarts: 0 };
  /** Outputs being closed; close() waits for them. */
  private readonly closingOutputs = new Set<Promise<void>>();
  /** Decoder crashes of participants who have left, so the room's total never goes down. */
  private departedDecoderCrashes = 0;
  private departedUndecodable = 0;
  /** Participants whose decoder may still need the current tile size (see resizeNext). */
  private readonly toResize = new Set<string>();
  private resizing: NodeJS.Timeout | undefined;

  constructor(private readonly options: VideoMixerOptions) {
    super();
    this.wanted = [this.mainStream("vp8")];
    const { faults } = options.context;
    this.ticker = new Ticker(
      1000 / options.fps,
      faults.wrap("video compose tick", (_: number, at: number) => this.tick(at)),
    );
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
    const sum = this.allOutputs().reduce((total, output) => MixOutput.addStats(total, output.stats), this.retired);
    return {
      framesComposed: this.counters.framesComposed,
      framesSent: this.counters.framesSent,
      framesDropped: this.counters.framesDropped + sum.framesDropped + this.ticker.skipped,
      keyframesSent: sum.keyframesSent,
      keyframeRequests: this.counters.keyframeRequests,
      encoderRestarts: sum.encoderRestarts,
      decoderRestarts,
      outputCodecs: [...new Set(this.allOutputs().map((o) => o.codec))],
      outputStreams: [...this.renditions.values()].flatMap((r) => [...r.outputs.keys()].map((codec) => mixStreamKey({ codec, ...r.size }))),
      decodeLagMaxMs: Math.max(0, ...[...this.participants.values()].map((p) => p.input.stats.decodeLagMaxMs)),
      undecodableFrames: [...this.participants.values()].reduce((n, p) => n + p.input.stats.undecodableFrames, this.departedUndecodable),
    };
  }

  get layout(): ReadonlyMap<string, Rect> {
    return this.tiles;
  }

  /** The layout choice as it stands: the one set, or what computeLayout made of it (a departed pin's `speaker`). */
  get layoutChoice(): LayoutChoice {
    return this.standing;
  }

  /** Starts composing and encoding (once): called when the first receiver connects or media arrives. */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.syncOutputs();
    this.ticker.start();
  }

  /** The main size in `codec`: what the decoders are sized for and a recording takes. */
  mainStream(codec: VideoCodec): MixStream {
    return { codec, width: this.options.width, height: this.options.height, bitrate: this.options.bitrate };
  }

  /**
   * The streams to encode (none means the main size in VP8). A stream new to the set gets an encoder whose
   * first frame is a keyframe (and a size new to it a composition of its own); one no longer in it has its
   * encoder closed, and a size nobody takes any more is no longer composed.
   */
  setOutputStreams(streams: readonly MixStream[]): void {
    this.wanted = streams.length > 0 ? [...streams] : [this.mainStream("vp8")];
    if (this.started) this.syncOutputs();
  }

  /** A receiver joined, lost pictures (PLI) or is moving to this stream: its next frame is a keyframe (see MIN_KEYFRAME_SPACING_MS). */
  requestKeyframe(stream: Pick<MixStream, "codec" | "width" | "height">): void {
    this.counters.keyframeRequests++;
    this.renditions.get(sizeKey(stream))?.outputs.get(stream.codec)?.requestKeyframe();
  }

  /** `mutes`: read at each frame (a muted camera is drawn as its name card, a muted microphone as a badge). */
  addInput(id: string, name: string, kind: "camera" | "screen" = "camera", mutes: MuteState = NEVER_MUTED): void {
    if (this.participants.has(id) || this.closed) return;
    const input = new VideoInput({
      label: `${this.options.label}:decode:${id}`,
      context: withLogFields(this.options.context, { participant: id }),
      requestKeyframe: () => this.emit("keyframeRequest", id),
      // A screen is drawn whole (its text must stay readable): letterboxed, never centre-cropped as a face is.
      fit: kind === "screen" ? "contain" : "cover",
    });
    this.participants.set(id, { id, kind, name, mutes, input });
    this.relayout();
  }

  async removeInput(id: string): Promise<void> {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.departedDecoderCrashes += p.input.stats.decoderCrashes;
    this.departedUndecodable += p.input.stats.undecodableFrames;
    this.relayout();
    await p.input.close();
  }

  setLayout(spec: LayoutChoice): void {
    this.spec = spec;
    this.relayout();
  }

  setActiveSpeaker(id: string | undefined): void {
    this.speaker = id;
    // Only a layout with a `speaker` region moves tiles for a new speaker (relayout finds no change otherwise); elsewhere just the highlight moves.
    this.relayout();
  }

  setCodec(id: string, codec: VideoCodec): void {
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
    const outputs = this.allOutputs();
    this.renditions.clear();
    await Promise.all([
      ...outputs.map((o) => o.close()),
      ...this.closingOutputs,
      ...[...this.participants.values()].map((p) => p.input.close()),
    ]);
    this.participants.clear();
  }

  private relayout(): void {
    const computed = computeLayout(this.spec, this.sources(), this.options, this.assignment);
    this.standing = computed.choice;
    this.assignment = computed.assignment;
    const { tiles } = computed;
    this.rounding = computed.rounding;
    for (const r of this.renditions.values()) r.rounding = r.main ? this.rounding : placeTiles(computed.assignment, r.size).rounding;
    // Unchanged tiles keep their decoders and their senders' resolution: nothing to restart or tell anyone.
    if (sameTiles(tiles, this.tiles)) return;
    // A newcomer has no picture at all, the others keep their old decoder's: newcomers get theirs first.
    const newcomers = [...tiles.keys()].filter((id) => !this.tiles.has(id));
    const queued = [...this.toResize];
    this.toResize.clear();
    for (const id of [...newcomers, ...queued, ...tiles.keys()]) this.toResize.add(id);
    this.tiles = tiles;
    for (const r of this.renditions.values()) r.tiles = r.main ? tiles : this.tilesFor(r.size);
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
    if (this.toResize.size > 0)
      this.resizing = setTimeout(
        this.options.context.faults.wrap("decoder resize", () => this.resizeNext()),
        DECODER_START_SPACING_MS,
      );
  }

  private tick(scheduledAt: number): void {
    const outputs = this.allOutputs();
    if (outputs.length === 0) return;
    // Nothing to compose for when every encoder is behind: the frame is dropped, once.
    if (outputs.every((o) => o.behind)) {
      this.counters.framesDropped++;
      return;
    }
    const now = performance.now();
    // Each picture is read once per tick, whatever number of renditions draw it.
    const frames = new Map<string, I420Frame | undefined>();
    for (const [id, p] of this.participants)
      frames.set(
        id,
        p.mutes.videoMuted ? undefined : p.input.currentFrame(now, p.kind === "screen" ? SCREEN_STALE_AFTER_MS : this.options.staleAfterMs),
      );
    for (const r of this.renditions.values()) {
      const targets = [...r.outputs.values()];
      if (targets.length === 0 || targets.every((o) => o.behind)) continue;
      const tiles = [...r.tiles].map(([id, rect]) => {
        const p = this.participants.get(id)!;
        return {
          rect,
          name: p.name,
          highlight: id === this.speaker,
          audioMuted: p.mutes.audioMuted,
          frame: frames.get(id),
          radius: r.rounding.get(id),
          fit: p.kind === "screen" ? ("contain" as const) : undefined,
        };
      });
      // One canvas per rendition for its life, composed once for every codec: each encoder copies the frame as it takes it.
      r.canvas ??= createI420(r.size.width, r.size.height);
      const frame = composeFrame(r.size, tiles, r.labels, r.canvas, !r.main);
      for (const output of targets) output.encode(frame.data, scheduledAt);
    }
    this.counters.framesComposed++;
  }

  private allOutputs(): MixOutput[] {
    return [...this.renditions.values()].flatMap((r) => [...r.outputs.values()]);
  }

  /** Another size of the same assignment: the same people in the same regions. */
  private tilesFor(size: Size): Map<string, Rect> {
    return this.assignment ? placeTiles(this.assignment, size).tiles : new Map();
  }

  /** What the layout draws: cameras in join order, and the screen shared, if any. */
  private sources(): { cameras: string[]; screen: string | undefined; speaker: string | undefined } {
    const all = [...this.participants.values()];
    return {
      cameras: all.filter((p) => p.kind === "camera").map((p) => p.id),
      screen: all.find((p) => p.kind === "screen")?.id,
      speaker: this.speaker,
    };
  }

  private syncOutputs(): void {
    const wanted = new Map(this.wanted.map((stream) => [mixStreamKey(stream), stream]));
    for (const [key, r] of this.renditions) {
      for (const [codec, output] of r.outputs) {
        if (wanted.has(mixStreamKey({ codec, ...r.size }))) continue;
        r.outputs.delete(codec);
        this.retired = MixOutput.addStats(this.retired, output.stats);
        const closing = output.close();
        this.closingOutputs.add(closing);
        void closing.finally(() => this.closingOutputs.delete(closing));
        this.options.context.log.info("mix encoder stopped: no receiver takes its stream", { stream: mixStreamKey({ codec, ...r.size }) });
      }
      if (r.outputs.size === 0) this.renditions.delete(key);
    }
    for (const stream of wanted.values()) {
      const key = sizeKey(stream);
      let r = this.renditions.get(key);
      if (!r) {
        const main = stream.width === this.options.width && stream.height === this.options.height;
        const size = { width: stream.width, height: stream.height };
        r = {
          size,
          main,
          tiles: main ? this.tiles : this.tilesFor(size),
          rounding: main ? this.rounding : this.assignment ? placeTiles(this.assignment, size).rounding : new Map(),
          labels: new LabelRenderer({ outputHeight: size.height, font: this.options.labelFont }),
          canvas: undefined,
          outputs: new Map(),
        };
        this.renditions.set(key, r);
      }
      if (r.outputs.has(stream.codec)) continue;
      const output = new MixOutput({
        codec: stream.codec,
        settings: { width: stream.width, height: stream.height, fps: this.options.fps, bitrate: stream.bitrate },
        keyframeIntervalMs: this.options.keyframeIntervalMs,
        maxEncoderBacklog: this.options.maxEncoderBacklog ?? 3,
        context: this.options.context,
        clockStart: this.clockStart,
      });
      output.on("rtp", (packet, keyframeStart) => this.emit("rtp", packet, stream, keyframeStart));
      output.on("encoded", (f) => {
        if (f.composedAt > this.lastSentComposedAt) {
          this.lastSentComposedAt = f.composedAt;
          this.counters.framesSent++;
        }
        this.emit("encoded", f);
      });
      r.outputs.set(stream.codec, output);
      if (this.allOutputs().length > 1)
        this.options.context.log.info("mix encoder started for a receiver's stream", { stream: mixStreamKey(stream) });
    }
  }
}
