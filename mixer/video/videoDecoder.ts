import { EventEmitter } from "node:events";
import type { MediaContext } from "../context.js";
import { FfmpegProcess, type FfmpegExit } from "../ffmpeg/ffmpegProcess.js";
import type { Size } from "../layout/gridLayout.js";
import type { EncodedFrame } from "./frameAssembler.js";
import { ivfFileHeader, ivfFrame } from "./ivf.js";
import { MAX_FRAMES_IN_FLIGHT, type DecoderFit, type ParticipantDecoder, type ParticipantDecoderEvents } from "./participantDecoder.js";
import { tileFilters } from "./tileFilters.js";
import type { VideoCodec } from "./videoCodec.js";

/** Ends an H264 access unit for ffmpeg's parser at once (it otherwise waits for the next one to begin). */
export const H264_ACCESS_UNIT_DELIMITER = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);

/** One frame at 30 fps on the 90 kHz RTP clock. */
const FRAME_TICKS = 3000;

/** No picture out for this long after feeding stopped: ffmpeg has decoded all it was given. */
const DRAINED_AFTER_MS = 150;

/**
 * One participant's decoder: encoded frames in on stdin, raw I420 out on stdout, already scaled and
 * centre-cropped to the participant's tile so the compositor only copies rows. The output size is
 * fixed for the life of the process; the sender's resolution may change freely underneath it.
 */
export class VideoDecoder extends EventEmitter<ParticipantDecoderEvents> implements ParticipantDecoder {
  private readonly process: FfmpegProcess;
  private readonly frameBytes: number;
  private next: Buffer;
  private filled = 0;
  private headerWritten = false;
  private awaitingKeyframe = true;
  framesOut = 0;
  /** Frames fed to ffmpeg. */
  framesIn = 0;
  /** Frames not fed because ffmpeg was behind (each costs the wait for a keyframe). */
  framesSkipped = 0;
  /** ffmpeg's command line does not say which frames it could not decode. */
  readonly framesCorrupt = 0;
  private lastFrameOutAt = -Infinity;
  /** When each frame still inside ffmpeg was fed, oldest first (its length: how far ffmpeg is behind). */
  private readonly fedAt: number[] = [];
  /**
   * How long the last picture out spent inside ffmpeg, from feeding to picture (ms); 0 for the frames fed
   * while ffmpeg was starting, whose wait is its start-up (the tile keeps the previous decoder's picture meanwhile).
   */
  lastLagMs = 0;
  /** Frames fed before ffmpeg's first picture came out. */
  private fedWhileStarting: number | undefined;
  /** Waiting for a keyframe because ffmpeg fell behind (not because the stream has not started). */
  private behind = false;
  private firstTimestamp: number | undefined;
  private lastPts = -1;

  constructor(
    readonly codec: VideoCodec,
    readonly size: Size,
    label: string,
    context: MediaContext,
    fit: DecoderFit = "cover",
  ) {
    super();
    this.frameBytes = (size.width * size.height * 3) / 2;
    this.next = Buffer.allocUnsafe(this.frameBytes);
    this.process = new FfmpegProcess(
      label,
      {
        inputs: [
          {
            format: codec === "vp8" ? "ivf" : "h264",
            url: "pipe:0",
            // No `-fflags nobuffer`: in ffmpeg 4.1 it makes the IVF demuxer fail on frames that arrive in a burst.
            options: { flags: "low_delay", probesize: 32, analyzeduration: 0, threads: 1 },
          },
        ],
        output: {
          format: "rawvideo",
          url: "pipe:1",
          videoFilters: tileFilters(size, fit),
          options: { vsync: "passthrough", pix_fmt: "yuv420p", flush_packets: 1 },
        },
      },
      context,
    );
    this.process.on("stdout", (chunk) => this.collect(chunk));
    this.process.on("exit", (exit) => this.emit("exit", exit));
  }

  /** Waiting for a keyframe because frames were dropped while ffmpeg was behind: packets still arrive, pictures do not. */
  get skippingToKeyframe(): boolean {
    return this.behind;
  }

  /**
   * Frames inside ffmpeg, but no more than were fed since its first picture. What queues during start-up
   * it decodes in one burst once it is up; counted, they made a decoder under load skip right after its
   * first picture, and wait a keyframe interval for the next.
   */
  private get framesBehind(): number {
    return Math.min(this.fedAt.length, this.framesIn - (this.fedWhileStarting ?? this.framesIn));
  }

  get running(): boolean {
    return this.process.running;
  }

  /** True until a keyframe has been fed (at start, and again after frames had to be dropped). */
  get waitingForKeyframe(): boolean {
    return this.awaitingKeyframe;
  }

  /**
   * Feeds one encoded frame. A decoder starts at a keyframe and ignores frames before it. When ffmpeg is
   * `MAX_FRAMES_IN_FLIGHT` behind once running (or its stdin is full), the frame is dropped rather than
   * queued, so a slow decode delays the tile by at most that much; the dropped frame breaks the reference
   * chain, so the decoder waits for the next keyframe (needKeyframe).
   */
  decode(frame: EncodedFrame, now = performance.now()): void {
    if (this.awaitingKeyframe) {
      if (frame.isKeyframe) {
        // A frame ffmpeg could not decode never comes out: once it has gone quiet with nothing new fed, what
        // is still counted as inside it is such frames, not a queue.
        if (now - this.lastFrameOutAt > DRAINED_AFTER_MS) this.fedAt.length = 0;
        if (this.framesBehind < MAX_FRAMES_IN_FLIGHT) this.awaitingKeyframe = this.behind = false;
      }
      if (this.awaitingKeyframe) {
        if (this.behind) this.framesSkipped++;
        return;
      }
    } else if (this.framesBehind >= MAX_FRAMES_IN_FLIGHT) {
      this.framesSkipped++;
      this.awaitingKeyframe = this.behind = true;
      this.emit("needKeyframe");
      return;
    }
    const chunks: Buffer[] = [];
    if (this.codec === "vp8") {
      if (!this.headerWritten) {
        chunks.push(ivfFileHeader("VP80", this.size.width, this.size.height, 90_000));
        this.headerWritten = true;
      }
      this.firstTimestamp ??= frame.timestamp;
      let pts = frame.timestamp - this.firstTimestamp;
      if (pts <= this.lastPts) {
        // The sender's stream started over (their page came back on a fresh peer connection, with timestamps
        // of its own): carry on one frame after the last, as IVF timestamps never go back (or below zero).
        this.firstTimestamp = frame.timestamp - (this.lastPts + FRAME_TICKS);
        pts = this.lastPts + FRAME_TICKS;
      }
      this.lastPts = pts;
      chunks.push(ivfFrame(frame.data, pts));
    } else {
      // ffmpeg's H264 parser ends an access unit only when it sees the next one begin, which would hold
      // every picture back one frame (33 ms at 30 fps); a delimiter after each frame ends it at once.
      chunks.push(frame.data, H264_ACCESS_UNIT_DELIMITER);
    }
    this.framesIn++;
    this.fedAt.push(now);
    const accepted = this.process.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    if (!accepted && this.process.running) {
      this.awaitingKeyframe = true;
      this.emit("needKeyframe");
    }
  }

  /**
   * Copies stdout straight into the next frame's buffer: one copy per byte. Each frame gets a buffer of
   * its own because the compositor keeps it for as many ticks as it stays the newest picture.
   */
  private collect(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.next, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        this.framesOut++;
        this.lastFrameOutAt = performance.now();
        this.fedWhileStarting ??= this.framesIn;
        const fed = this.fedAt.shift();
        this.lastLagMs = fed === undefined || this.framesOut <= this.fedWhileStarting ? 0 : this.lastFrameOutAt - fed;
        this.emit("frame", { width: this.size.width, height: this.size.height, data: this.next });
        this.next = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
    }
  }

  close(): Promise<FfmpegExit> {
    return this.process.kill();
  }
}
