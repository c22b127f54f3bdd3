import { EventEmitter } from "node:events";
import type { MediaContext } from "../context.js";
import { FfmpegProcess, type FfmpegExit } from "../ffmpeg/ffmpegProcess.js";
import type { Size } from "../layout/gridLayout.js";
import { IvfReader, isVp8Keyframe } from "./ivf.js";
import { vp8EncoderOptions } from "./vp8EncoderOptions.js";

export interface VideoEncoderSettings extends Size {
  readonly fps: number;
  readonly bitrate: number;
  /** Frames between forced keyframes: the longest a new receiver waits for a decodable picture. */
  readonly keyframeInterval: number;
}

export interface EncodedOutputFrame {
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  /** Index of the composed frame this came from (ffmpeg's pts in a 1/fps timebase). */
  readonly index: number;
}

type EncoderEvents = {
  frame: [frame: EncodedOutputFrame];
  exit: [exit: FfmpegExit];
};

/**
 * The room's one VP8 encoder: raw I420 canvases in, IVF out. The flags are the cheapest realtime set
 * measured on 2 cores: negative cpu-used, one thread, no lag, error-resilient for receivers with loss.
 */
export class VideoEncoder extends EventEmitter<EncoderEvents> {
  private readonly process: FfmpegProcess;
  private readonly reader = new IvfReader();
  private inFlight = 0;

  constructor(
    readonly settings: VideoEncoderSettings,
    label: string,
    context: MediaContext,
  ) {
    super();
    const { width, height, fps } = settings;
    this.process = new FfmpegProcess(
      label,
      {
        inputs: [{ format: "rawvideo", url: "pipe:0", options: { pix_fmt: "yuv420p", s: `${width}x${height}`, framerate: fps } }],
        output: {
          format: "ivf",
          url: "pipe:1",
          options: {
            ...vp8EncoderOptions(settings),
            vsync: "passthrough",
            flush_packets: 1,
          },
        },
      },
      context,
    );
    this.process.on("stdout", (chunk) => {
      for (const frame of this.reader.push(chunk)) {
        this.inFlight = Math.max(0, this.inFlight - 1);
        this.emit("frame", { data: frame.data, isKeyframe: isVp8Keyframe(frame.data), index: frame.pts });
      }
    });
    this.process.on("exit", (exit) => this.emit("exit", exit));
  }

  get running(): boolean {
    return this.process.running;
  }

  /** Frames written whose encoded output has not come back yet. */
  get backlog(): number {
    return this.inFlight;
  }

  encode(canvas: Buffer): boolean {
    if (!this.process.running) return false;
    this.inFlight++;
    this.process.write(canvas);
    return true;
  }

  close(): Promise<FfmpegExit> {
    return this.process.close();
  }
}
