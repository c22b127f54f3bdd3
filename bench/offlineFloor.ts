/**
 * The offline floor: the MCU's job done by one ffmpeg with nothing else in the way. The same clip bytes
 * the senders replay are decoded (one thread each), scaled and cropped to the same grid tiles, stacked into
 * one canvas and encoded with the mix's own libvpx flags; their tones are decoded, mixed once and encoded
 * with libopus. It runs as fast as it can and reports its CPU per second of output, which is what the MCU
 * spends, per second, at best. No networking, no RTP, no per-listener audio: a floor, not a target.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { filterChain } from "../mixer/ffmpeg/args.js";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { gridLayout, type Size } from "../mixer/layout/gridLayout.js";
import { vp8EncoderOptions } from "../mixer/video/vp8EncoderOptions.js";

export interface FloorSettings {
  readonly canvas: Size;
  readonly fps: number;
  readonly videoBitrate: number;
  readonly keyframeInterval: number;
  readonly audioBitrate: number;
  /** Seconds of output to produce. */
  readonly seconds: number;
}

export interface FloorResult {
  /** CPU seconds per second of output: cores, if it ran in real time. */
  readonly cores: number;
  /** Output seconds per wall-clock second: above 1 means this machine could do it live. */
  readonly speed: number;
}

/** One second of a sine tone as Ogg Opus, made once: what a bench sender's audio decodes to. */
function toneFile(hz: number): string {
  const dir = join(tmpdir(), "tessera-bench-clips");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `tone-${hz}.ogg`);
  if (!existsSync(path)) {
    execFileSync(resolveFfmpegPath(), [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${hz}:sample_rate=48000:duration=1`,
      "-c:a",
      "libopus",
      "-b:a",
      "64k",
      "-frame_duration",
      "20",
      "-y",
      `${path}.part.ogg`,
    ]);
    renameSync(`${path}.part.ogg`, path);
  }
  return path;
}

/**
 * Raw H264 cannot be looped (`-stream_loop` needs a seekable container; the raw demuxer stopped after one
 * pass, and the floor measured a third of the frames): the same bytes, copied once into Matroska.
 */
function loopableH264(path: string, fps: number): string {
  const mkv = `${path}.mkv`;
  if (!existsSync(mkv)) {
    execFileSync(resolveFfmpegPath(), [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "h264",
      "-framerate",
      String(fps),
      "-i",
      path,
      "-c",
      "copy",
      "-y",
      `${mkv}.part.mkv`,
    ]);
    renameSync(`${mkv}.part.mkv`, mkv);
  }
  return mkv;
}

export function floorArgs(clipPaths: readonly string[], toneHz: readonly number[], s: FloorSettings): string[] {
  const n = clipPaths.length;
  const tiles = gridLayout(n, s.canvas);
  const inputs = [
    ...clipPaths.flatMap((p) => [
      "-threads",
      "1",
      "-stream_loop",
      "-1",
      ...(p.endsWith(".h264") ? ["-f", "matroska", "-i", loopableH264(p, s.fps)] : ["-f", "ivf", "-i", p]),
    ]),
    ...toneHz.flatMap((hz) => ["-stream_loop", "-1", "-i", toneFile(hz)]),
  ];
  const graph: string[] = [];
  tiles.forEach((t, i) => {
    graph.push(
      `[${i}:v]${filterChain([
        { name: "scale", args: { w: t.width, h: t.height, force_original_aspect_ratio: "increase", flags: "fast_bilinear" } },
        { name: "crop", args: { w: t.width, h: t.height } },
      ])}[t${i}]`,
    );
  });
  // xstack places every tile with one copy each. A chain of overlays on a background was tried first: it
  // copies the whole canvas once per overlay and cost 2.4x as much, a floor no one should be measured against.
  const { width, height } = s.canvas;
  graph.push(
    n === 1
      ? `[t0]pad=w=${width}:h=${height}:x=${tiles[0].x}:y=${tiles[0].y}[vout]`
      : `${tiles.map((_, i) => `[t${i}]`).join("")}xstack=inputs=${n}:layout=${tiles.map((t) => `${t.x}_${t.y}`).join("|")}[vout]`,
  );
  graph.push(`${toneHz.map((_, i) => `[${n + i}:a]`).join("")}amix=inputs=${toneHz.length}[aout]`);
  const encoder = Object.entries(vp8EncoderOptions({ bitrate: s.videoBitrate, keyframeInterval: s.keyframeInterval })).flatMap(([k, v]) => [
    `-${k}`,
    String(v),
  ]);
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "info",
    "-benchmark",
    ...inputs,
    "-filter_complex",
    graph.join(";"),
    "-map",
    "[vout]",
    ...encoder,
    "-r",
    String(s.fps),
    "-map",
    "[aout]",
    "-c:a",
    "libopus",
    "-b:a",
    String(s.audioBitrate),
    "-application",
    "voip",
    "-t",
    String(s.seconds),
    "-f",
    "null",
    "-",
  ];
}

/** Runs the floor job for `clipPaths` (one per sender, `.ivf` VP8 or `.h264` Annex B) and reads ffmpeg's own CPU accounting. */
export async function offlineFloor(clipPaths: readonly string[], toneHz: readonly number[], settings: FloorSettings): Promise<FloorResult> {
  const child = spawn(resolveFfmpegPath(), floorArgs(clipPaths, toneHz, settings), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
  if (code !== 0 || !bench) throw new Error(`offline floor: ffmpeg exited ${code}: ${stderr.slice(-800)}`);
  const cpu = Number(bench[1]) + Number(bench[2]);
  return { cores: cpu / settings.seconds, speed: settings.seconds / Number(bench[3]) };
}
