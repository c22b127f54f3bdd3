import { EventEmitter } from "node:events";
import { AV_LOG_QUIET, AV_PICTURE_TYPE_I, AV_PICTURE_TYPE_NONE, AV_PIX_FMT_YUV420P } from "node-av/constants";
import { Codec, CodecContext, Dictionary, Frame, Log, Packet, Rational } from "node-av/lib";
import type { Size } from "../layout/gridLayout.js";
import { mixEncoderSetup } from "./mixEncoderSetup.js";
import type { VideoCodec } from "./videoCodec.js";

export interface MixEncoderSettings extends Size {
  readonly fps: number;
  readonly bitrate: number;
}

export interface EncodedOutputFrame {
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  /** Index of the composed frame this came from (as passed to encode()). */
  readonly index: number;
}

type MixEncoderEvents = {
  frame: [frame: EncodedOutputFrame];
  /** The codec refused a frame or failed: this encoder is finished; make another. */
  failed: [error: Error];
};

/** Canvases waiting to be encoded at most; more than the mixer lets queue up is never needed. */
const MAX_QUEUED = 8;

/**
 * One of the room's mix encoders, in this process through FFmpeg's libraries (node-av): a canvas in, an
 * encoded frame out, and a keyframe whenever encode() is asked for one (FFmpeg's command line cannot be
 * asked through a pipe). The canvas is copied at once, so the caller may draw the next one in the same
 * buffer; the encoding itself runs on libuv's thread pool, one frame at a time and in order, so the event
 * loop never waits for it. One FFmpeg frame is reused for every canvas (several, reused in turn while one
 * was being encoded, crashed node-av 6.1 in a finalizer).
 */
export class MixEncoder extends EventEmitter<MixEncoderEvents> {
  private readonly context = new CodecContext();
  private readonly packet = new Packet();
  private readonly frame = new Frame();
  /** Settles when the codec is open; encode() queues meanwhile. */
  private readonly opened: Promise<void>;
  /** Canvas-sized buffers to copy into, reused. */
  private readonly spare: Buffer[] = [];
  private readonly queue: { canvas: Buffer; index: number; keyframe: boolean }[] = [];
  private busy = false;
  /** close() was called. */
  private closed = false;
  /** The codec failed: frames are no longer taken. */
  private broken = false;
  private idle: (() => void) | undefined;

  constructor(
    readonly codec: VideoCodec,
    readonly settings: MixEncoderSettings,
  ) {
    super();
    // FFmpeg's own log goes straight to stderr, which holds the server's JSON log lines (libvpx prints its
    // version at every open). Failures come back as return codes, which we log; so its log is off (the
    // setting is the process's, and the same for every encoder).
    Log.setLevel(AV_LOG_QUIET);
    const { encoderName, name, options, configure } = mixEncoderSetup(codec);
    const encoder = Codec.findEncoderByName(encoderName);
    if (!encoder) throw new Error(`this FFmpeg build has no ${name} encoder`);
    const { width, height, fps, bitrate } = settings;
    const c = this.context;
    c.allocContext3(encoder);
    c.width = width;
    c.height = height;
    c.pixelFormat = AV_PIX_FMT_YUV420P;
    c.timeBase = new Rational(1, fps);
    c.framerate = new Rational(fps, 1);
    c.threadCount = 1;
    c.maxBFrames = 0;
    // Keyframes come when the mixer asks (a new receiver, a PLI, the periodic one): never on the codec's own.
    c.gopSize = 1 << 30;
    c.bitRate = BigInt(bitrate);
    configure(c, bitrate);
    // open2Sync with options crashed node-av 6.1.1 in a finalizer later (reproduced): open on the pool.
    this.opened = c.open2(encoder, Dictionary.fromObject(options)).then((code) => {
      if (code < 0) throw new Error(`could not open the ${name} encoder (FFmpeg error ${code})`);
    });
    // Reported through "failed" by the first encode; never an unhandled rejection.
    this.opened.catch(() => undefined);
    this.packet.alloc();
    const f = this.frame;
    f.alloc();
    f.width = width;
    f.height = height;
    f.format = AV_PIX_FMT_YUV420P;
    f.allocBuffer();
  }

  /** Frames handed over whose encoded output has not come back yet. */
  get backlog(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  /** Copies the canvas now and encodes it in turn; `keyframe` forces a keyframe for this very frame. */
  encode(canvas: Buffer, index: number, keyframe: boolean): void {
    if (this.closed || this.broken || this.backlog >= MAX_QUEUED) return;
    const copy = this.spare.pop() ?? Buffer.allocUnsafe(canvas.length);
    canvas.copy(copy);
    this.queue.push({ canvas: copy, index, keyframe });
    if (!this.busy) void this.pump();
  }

  /**
   * Makes the oldest canvas still waiting a keyframe, so a keyframe asked for while the encoder is behind
   * does not wait for the frames queued before it. False when nothing waits (the next encode() must ask).
   */
  keyframeNext(): boolean {
    const waiting = this.queue[0];
    if (!waiting) return false;
    waiting.keyframe = true;
    return true;
  }

  /** Waits for the frame being encoded (the codec must not be freed under it), then frees everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.busy) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.opened.catch(() => undefined);
    this.queue.length = 0;
    this.spare.length = 0;
    // Freed now rather than by node-av's finalizers, so a room that comes and goes (or a receiver codec that
    // does) returns the codec's memory at once; 30 open-encode-free rounds of both codecs under forced GC ran clean.
    this.context.freeContext();
    this.frame.free();
    this.packet.free();
    this.removeAllListeners();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      await this.opened;
      while (!this.closed && !this.broken && this.queue.length > 0) {
        const { canvas, index, keyframe } = this.queue.shift()!;
        const frame = this.frame;
        frame.makeWritable();
        frame.fromBuffer(canvas);
        this.spare.push(canvas);
        frame.pts = BigInt(index);
        frame.pictType = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        const sent = await this.context.sendFrame(frame);
        if (sent < 0) throw new Error(`the ${this.codec} encoder refused a frame (FFmpeg error ${sent})`);
        // The codec encodes inside send_frame, so the packet is ready: taking it synchronously saves a second
        // trip through the thread pool and an event-loop turn per frame (each one a wait under load).
        while (!this.closed && this.context.receivePacketSync(this.packet) >= 0) {
          const data = this.packet.data && Buffer.from(this.packet.data);
          if (data) this.emit("frame", { data, isKeyframe: this.packet.isKeyframe, index: Number(this.packet.pts) });
          this.packet.unref();
        }
      }
    } catch (err) {
      this.broken = true;
      if (!this.closed) this.emit("failed", err as Error);
    } finally {
      this.busy = false;
      this.idle?.();
    }
  }
}
