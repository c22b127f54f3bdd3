import { EventEmitter } from "node:events";
import {
  AV_CODEC_FLAG_LOW_DELAY,
  AV_CODEC_ID_H264,
  AV_CODEC_ID_VP8,
  AV_FRAME_FLAG_CORRUPT,
  AV_LOG_QUIET,
  AVERROR_EAGAIN,
} from "node-av/constants";
import { Codec, CodecContext, Frame, Log, Packet } from "node-av/lib";
import type { MediaContext } from "../context.js";
import type { FfmpegExit } from "../ffmpeg/ffmpegProcess.js";
import type { Size } from "../layout/gridLayout.js";
import type { EncodedFrame } from "./frameAssembler.js";
import { MAX_FRAMES_IN_FLIGHT, type DecoderFit, type ParticipantDecoder, type ParticipantDecoderEvents } from "./participantDecoder.js";
import { TileScaler } from "./tileScaler.js";
import type { VideoCodec } from "./videoCodec.js";

const CODEC_IDS = { vp8: AV_CODEC_ID_VP8, h264: AV_CODEC_ID_H264 } as const;

/** An encoded frame waiting its turn, and when it was fed (for the decode lag). */
interface Queued {
  readonly data: Buffer;
  readonly fedAt: number;
}

/**
 * One participant's decoder in this process, through FFmpeg's libraries (node-av): encoded frames in, the
 * tile's I420 out, scaled by the same filters an ffmpeg child would run. No pipe, no child to wake per
 * frame, no copy of the picture through a pipe, and no frame held back by a parser: a frame is decoded as
 * soon as it is fed. Decoding and scaling run on libuv's thread pool, one frame at a time and in order, so
 * the event loop never waits on them.
 *
 * Bad input never throws out of here: a frame FFmpeg refuses, or a picture it marks corrupt (a truncated
 * keyframe, a missing reference), is dropped and counted (`framesCorrupt`), and nothing more is decoded
 * until the next keyframe (needKeyframe asks for one). A new resolution or a new SPS at a keyframe is just
 * a picture of another shape: the scaler rebuilds for it. Only a decoder that cannot work at all (its codec
 * will not open, FFmpeg fails outside a frame) ends with `exit`, unrequested, and the input starts another.
 */
export class InProcessVideoDecoder extends EventEmitter<ParticipantDecoderEvents> implements ParticipantDecoder {
  private readonly context = new CodecContext();
  private readonly packet = new Packet();
  private readonly decoded = new Frame();
  private readonly scaled = new Frame();
  private readonly scaler: TileScaler;
  private readonly frameBytes: number;
  /** Settles when the codec is open; frames queue meanwhile. */
  private readonly opened: Promise<void>;
  private readonly queue: Queued[] = [];
  private busy = false;
  /** A frame is inside FFmpeg now (busy also covers waiting for the codec to open). */
  private decoding = false;
  private closed = false;
  private exited: FfmpegExit | undefined;
  private idle: (() => void) | undefined;
  private awaitingKeyframe = true;
  /** Waiting for a keyframe because frames were dropped (not because the stream has not started). */
  private behind = false;
  framesOut = 0;
  framesIn = 0;
  framesSkipped = 0;
  /** Frames FFmpeg refused or decoded into a picture it marked corrupt: dropped, each followed by a wait for a keyframe. */
  framesCorrupt = 0;
  lastLagMs = 0;

  constructor(
    readonly codec: VideoCodec,
    readonly size: Size,
    private readonly mediaContext: MediaContext,
    fit: DecoderFit = "cover",
  ) {
    super();
    // FFmpeg's own log goes straight to stderr, among the server's JSON lines, and a corrupt frame makes the
    // H264 decoder write several: failures come back as return codes and counts instead (as the encoder's).
    Log.setLevel(AV_LOG_QUIET);
    this.frameBytes = (size.width * size.height * 3) / 2;
    this.scaler = new TileScaler(size, fit);
    this.packet.alloc();
    this.decoded.alloc();
    this.scaled.alloc();
    this.opened = this.open();
    // Reported through exit by the first decode; never an unhandled rejection.
    this.opened.catch(() => undefined);
  }

  get skippingToKeyframe(): boolean {
    return this.behind;
  }

  get waitingForKeyframe(): boolean {
    return this.awaitingKeyframe;
  }

  /** Frames taken and not yet out: the one being decoded and those waiting. */
  get backlog(): number {
    return this.queue.length + (this.decoding ? 1 : 0);
  }

  /**
   * Takes one encoded frame. A decoder starts at a keyframe and ignores frames before it. With
   * MAX_FRAMES_IN_FLIGHT already waiting, the frame is dropped rather than queued (the tile would show it
   * that much late), and since that breaks the reference chain, the decoder waits for the next keyframe.
   */
  decode(frame: EncodedFrame, now = performance.now()): void {
    if (this.closed || this.exited) return;
    if (this.awaitingKeyframe) {
      if (frame.isKeyframe && this.backlog < MAX_FRAMES_IN_FLIGHT) this.awaitingKeyframe = this.behind = false;
      if (this.awaitingKeyframe) {
        if (this.behind) this.framesSkipped++;
        return;
      }
    } else if (this.backlog >= MAX_FRAMES_IN_FLIGHT) {
      this.framesSkipped++;
      this.skipToKeyframe();
      return;
    }
    this.framesIn++;
    this.queue.push({ data: frame.data, fedAt: now });
    if (!this.busy) void this.pump();
  }

  /** Waits for the frame being decoded (FFmpeg's context must not be freed under it), then frees everything. */
  async close(): Promise<FfmpegExit> {
    if (!this.closed) {
      this.closed = true;
      this.queue.length = 0;
      if (this.busy) await new Promise<void>((resolve) => (this.idle = resolve));
      await this.opened.catch(() => undefined);
      // Freed now rather than by node-av's finalizers (see MixEncoder.close): a re-layout replaces every decoder.
      this.context.freeContext();
      this.scaler.free();
      this.decoded.free();
      this.scaled.free();
      this.packet.free();
      this.removeAllListeners();
    }
    return this.exited ?? { code: 0, signal: null, requested: true, stderrTail: "" };
  }

  private async open(): Promise<void> {
    const codec = Codec.findDecoder(CODEC_IDS[this.codec]);
    if (!codec) throw new Error(`node-av's FFmpeg has no ${this.codec} decoder`);
    const c = this.context;
    c.allocContext3(codec);
    // One thread each: a room's six decoders already run side by side on the pool.
    c.threadCount = 1;
    // Out as soon as decoded: without it the H264 decoder may hold pictures back to reorder them.
    c.setFlags(AV_CODEC_FLAG_LOW_DELAY);
    // open2Sync with options crashed node-av 6.1.1 in a finalizer (MixEncoder): open on the pool.
    const code = await c.open2(codec, null);
    if (code < 0) throw new Error(`could not open the ${this.codec} decoder (FFmpeg error ${code})`);
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      await this.opened;
      while (!this.closed && this.queue.length > 0) {
        const next = this.queue.shift()!;
        this.decoding = true;
        await this.decodeOne(next);
        this.decoding = false;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.busy = this.decoding = false;
      this.idle?.();
    }
  }

  private async decodeOne({ data, fedAt }: Queued): Promise<void> {
    // An empty packet is FFmpeg's "end of stream": the decoder would drain and take nothing more.
    if (data.length === 0) return this.corrupt();
    this.packet.data = data;
    const sent = await this.context.sendPacket(this.packet);
    this.packet.unref();
    if (sent < 0 && sent !== AVERROR_EAGAIN) return this.corrupt();
    // The codec decodes inside send_packet (one thread): the picture is ready, so taking it synchronously
    // saves a trip through the pool.
    while (!this.closed && this.context.receiveFrameSync(this.decoded) >= 0) {
      if (this.decoded.decodeErrorFlags !== 0 || (this.decoded.flags & AV_FRAME_FLAG_CORRUPT) !== 0) {
        this.decoded.unref();
        return this.corrupt();
      }
      const scaled = await this.scaler.scale(this.decoded, this.scaled);
      this.decoded.unref();
      if (this.closed) return;
      if (!scaled) return this.corrupt();
      // The one copy of the picture: the compositor keeps it, while FFmpeg reuses its own buffers.
      const picture = this.scaled.toBuffer();
      this.scaled.unref();
      if (picture.length !== this.frameBytes) return this.corrupt();
      this.framesOut++;
      this.lastLagMs = performance.now() - fedAt;
      this.emit("frame", { width: this.size.width, height: this.size.height, data: picture });
    }
  }

  /** A frame that could not be decoded: what follows it references it, so skip to the next keyframe. */
  private corrupt(): void {
    this.framesCorrupt++;
    // Whatever the codec kept of the broken chain goes: the next keyframe starts from a clean state.
    this.context.flushBuffers();
    this.mediaContext.log.debug("participant video frame undecodable: dropped, waiting for a keyframe", {
      codec: this.codec,
      framesCorrupt: this.framesCorrupt,
    });
    // Frames queued behind it reference it: drop them too.
    this.framesSkipped += this.queue.length;
    this.queue.length = 0;
    this.skipToKeyframe();
  }

  private skipToKeyframe(): void {
    if (this.awaitingKeyframe) return;
    this.awaitingKeyframe = this.behind = true;
    this.emit("needKeyframe");
  }

  private fail(error: Error): void {
    if (this.closed || this.exited) return;
    this.queue.length = 0;
    this.exited = { code: null, signal: null, requested: false, stderrTail: error.message };
    this.mediaContext.log.warn("in-process participant decoder failed", { codec: this.codec, error: error.message });
    this.emit("exit", this.exited);
  }
}
