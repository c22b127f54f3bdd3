import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { ivfFileHeader, ivfFrame } from "../../mixer/video/ivf.js";
import { H264_ACCESS_UNIT_DELIMITER } from "../../mixer/video/videoDecoder.js";
import type { EncodedFrame } from "../../mixer/video/frameAssembler.js";

export const PROBE_WIDTH = 160;
export const PROBE_HEIGHT = 90;

export interface Rgb {
  r: number;
  g: number;
  b: number;
}
export interface ProbeSize {
  readonly width: number;
  readonly height: number;
}

/** Decodes a received VP8 stream with a real ffmpeg into small RGB pictures a test can inspect. */
export class MixedStreamDecoder {
  private child: ChildProcessWithoutNullStreams | undefined;
  private closed = false;
  private pending = Buffer.alloc(0);
  private headerWritten = false;
  private first: number | undefined;
  latest: Buffer | undefined;
  framesDecoded = 0;
  /**
   * Whole frames handed to the decoder: what has arrived, counted on arrival. framesDecoded trails it by
   * however far ffmpeg is behind, which on a busy machine can be a second or more.
   */
  framesPushed = 0;
  /** When the first picture came out (performance.now). */
  firstFrameAt: number | undefined;
  /** Called with each decoded picture as it comes out of ffmpeg. */
  onFrame: ((rgb: Buffer, at: number) => void) | undefined;

  /** Pictures come out at `probe` size: small by default, larger where a test reads detail (bench codes). */
  constructor(
    readonly probe: ProbeSize = { width: PROBE_WIDTH, height: PROBE_HEIGHT },
    /** Keyframes only (ffmpeg's `-skip_frame nokey`): cheap enough to never fall behind, at the keyframes' rate. */
    private readonly keyframesOnly = false,
  ) {}

  // Started by the first frame, so a client that never decodes (a load generator) runs no ffmpeg.
  private start(codec: "vp8" | "h264"): ChildProcessWithoutNullStreams {
    const probe = this.probe;
    const child = spawn(resolveFfmpegPath(), [
      // Decode each frame as it arrives (one thread, no probing): the bench reads latency from these pictures.
      "-hide_banner",
      "-loglevel",
      "error",
      "-threads",
      "1",
      "-flags",
      "low_delay",
      "-probesize",
      "32",
      "-analyzeduration",
      "0",
      ...(this.keyframesOnly ? ["-skip_frame", "nokey"] : []),
      "-f",
      codec === "vp8" ? "ivf" : "h264",
      "-i",
      "pipe:0",
      "-vf",
      `scale=${probe.width}:${probe.height}`,
      "-vsync",
      "passthrough",
      "-pix_fmt",
      "rgb24",
      "-f",
      "rawvideo",
      "pipe:1",
    ]);
    child.stdin.on("error", () => undefined);
    const frameBytes = probe.width * probe.height * 3;
    child.stdout.on("data", (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= frameBytes) {
        this.latest = Buffer.from(this.pending.subarray(0, frameBytes));
        this.pending = this.pending.subarray(frameBytes);
        this.framesDecoded++;
        this.firstFrameAt ??= performance.now();
        this.onFrame?.(this.latest, performance.now());
      }
    });
    return child;
  }

  /** One whole frame: VP8, or an H264 access unit in Annex-B form; the first frame fixes the codec. */
  push(frame: EncodedFrame, codec: "vp8" | "h264" = "vp8"): void {
    if (this.closed) return;
    this.framesPushed++;
    this.child ??= this.start(codec);
    if (codec === "h264") {
      // The delimiter ends the access unit now instead of when the next one arrives (a frame later).
      this.child.stdin.write(Buffer.concat([frame.data, H264_ACCESS_UNIT_DELIMITER]));
      return;
    }
    if (!this.headerWritten) {
      this.child.stdin.write(ivfFileHeader("VP80", 1280, 720, 90_000));
      this.headerWritten = true;
    }
    this.first ??= frame.timestamp;
    this.child.stdin.write(ivfFrame(frame.data, frame.timestamp - this.first));
  }

  /** Mean colour of a small square (`radius` probe pixels each side) around a point in output (1280x720) coordinates. */
  colourAt(x: number, y: number, outputWidth = 1280, outputHeight = 720, radius = 3): Rgb | undefined {
    const frame = this.latest;
    if (!frame) return undefined;
    const { width, height } = this.probe;
    const cx = Math.min(width - 1 - radius, Math.max(radius, Math.round((x / outputWidth) * width)));
    const cy = Math.min(height - 1 - radius, Math.max(radius, Math.round((y / outputHeight) * height)));
    let r = 0,
      g = 0,
      b = 0,
      n = 0;
    for (let yy = cy - radius; yy <= cy + radius; yy++)
      for (let xx = cx - radius; xx <= cx + radius; xx++) {
        const i = (yy * width + xx) * 3;
        r += frame[i];
        g += frame[i + 1];
        b += frame[i + 2];
        n++;
      }
    return { r: r / n, g: g / n, b: b / n };
  }

  close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("close", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

export function closeTo(actual: Rgb | undefined, expected: Rgb, tolerance = 45): boolean {
  if (!actual) return false;
  return (
    Math.abs(actual.r - expected.r) <= tolerance &&
    Math.abs(actual.g - expected.g) <= tolerance &&
    Math.abs(actual.b - expected.b) <= tolerance
  );
}
