/**
 * What each rung of the rendition ladder costs the server, in CPU time (which a busy shared machine disturbs
 * far less than wall-clock or frame-rate figures): the N senders' decoded pictures (the bench's own clips,
 * decoded once to the main layout's tile size, as the room's decoders deliver them) composed into each
 * rendition with its labels and scaled tiles, and encoded in VP8 at the rung's bit rate, in this process
 * as the mixer does. The main rung is what every room pays; each other rung is an extra cost paid only while
 * some receiver takes it. Cores = CPU ms per frame x 30 / 1000.
 *   node --import tsx bench/rungCost.ts [--n 6] [--frames 300]
 * (`npm run bench -- --rungs` prints it too, beside the same figure measured end to end.)
 */
import { execFileSync } from "node:child_process";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { computeLayout } from "../mixer/layout/computeLayout.js";
import type { Size } from "../mixer/layout/gridLayout.js";
import { composeFrame } from "../mixer/video/compositor.js";
import { createI420, type I420Frame } from "../mixer/video/i420.js";
import { resolveLabelFont } from "../mixer/video/labelFont.js";
import { LabelRenderer } from "../mixer/video/labelRenderer.js";
import { MixEncoder } from "../mixer/video/mixEncoder.js";
import { renditionLadder, type Rung } from "../mixer/video/renditionLadder.js";
import { defaultConfig } from "../src/config.js";
import { barcodeClip } from "./barcodeClip.js";

const FPS = 30;
const NAMES = ["김민수", "Zoë Ångström", "Дмитрий", "محمد", "Ada", "Bo"];

export interface RungCostRow {
  readonly rung: string;
  readonly composeMsPerFrame: number;
  readonly encodeMsPerFrame: number;
  readonly cores: number;
  readonly kbps: number;
}

/** Decodes sender i's clip to raw I420 pictures of `size` (once; a few dozen frames are plenty to loop). */
function decodedPictures(sender: number, size: Size, count: number): I420Frame[] {
  const clip = barcodeClip(sender, "vp8");
  const raw = execFileSync(
    resolveFfmpegPath(),
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      clip.path,
      "-frames:v",
      String(count),
      "-vf",
      `scale=${size.width}:${size.height}:force_original_aspect_ratio=increase,crop=${size.width}:${size.height}`,
      "-pix_fmt",
      "yuv420p",
      "-f",
      "rawvideo",
      "pipe:1",
    ],
    { maxBuffer: 1 << 30 },
  );
  const bytes = (size.width * size.height * 3) / 2;
  const frames: I420Frame[] = [];
  for (let i = 0; i + bytes <= raw.length; i += bytes)
    frames.push({ width: size.width, height: size.height, data: raw.subarray(i, i + bytes) });
  return frames;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One rung: `frames` frames composed from `pictures` and encoded; CPU per frame for each half. */
async function measureRung(
  rung: Rung,
  main: Size,
  senders: readonly string[],
  pictures: readonly I420Frame[][],
  frames: number,
): Promise<RungCostRow> {
  const isMain = rung.width === main.width && rung.height === main.height;
  const layout = computeLayout({ layout: "grid" }, { cameras: senders, speaker: senders[0] }, rung).tiles;
  const labels = new LabelRenderer({ outputHeight: rung.height, font: resolveLabelFont(process.env.LABEL_FONT) });
  const canvas = createI420(rung.width, rung.height);
  const encoder = new MixEncoder("vp8", { width: rung.width, height: rung.height, fps: FPS, bitrate: rung.bitrate });
  let bytes = 0;
  encoder.on("frame", (f) => (bytes += f.data.length));
  const compose = (i: number) =>
    composeFrame(
      rung,
      senders.map((id, s) => ({
        rect: layout.get(id)!,
        name: NAMES[s % NAMES.length],
        highlight: s === 0,
        frame: pictures[s][i % pictures[s].length],
      })),
      labels,
      canvas,
      !isMain,
    );
  for (let i = 0; i < 10; i++) compose(i); // labels rasterised, code warm
  let composeMs = 0;
  const start = cpuMs();
  for (let i = 0; i < frames; i++) {
    const c0 = cpuMs();
    const frame = compose(i);
    composeMs += cpuMs() - c0;
    encoder.encode(frame.data, i, i === 0);
    // Paced, as the compositor's clock is, so the encoder's thread never has a queue to catch up on.
    while (encoder.backlog > 0) await new Promise((r) => setTimeout(r, 1));
  }
  const totalMs = cpuMs() - start;
  await encoder.close();
  const composeMsPerFrame = composeMs / frames;
  const encodeMsPerFrame = (totalMs - composeMs) / frames;
  return {
    rung: `${rung.width}x${rung.height}`,
    composeMsPerFrame: Number(composeMsPerFrame.toFixed(2)),
    encodeMsPerFrame: Number(encodeMsPerFrame.toFixed(2)),
    cores: Number((((composeMsPerFrame + encodeMsPerFrame) * FPS) / 1000).toFixed(3)),
    kbps: Math.round((bytes * 8 * FPS) / frames / 1000),
  };
}

/** Every rung of the default ladder for a room of `n` senders in the grid. */
export async function rungCosts(n: number, frames: number): Promise<RungCostRow[]> {
  const { output } = defaultConfig;
  const main = { width: output.width, height: output.height };
  const ladder = renditionLadder({ ...main, bitrate: output.videoBitrate });
  const senders = Array.from({ length: n }, (_, i) => `s${i}`);
  const mainTiles = computeLayout({ layout: "grid" }, { cameras: senders }, main).tiles;
  const pictures = senders.map((id, i) => decodedPictures(i, mainTiles.get(id)!, 60));
  const rows: RungCostRow[] = [];
  for (const rung of [...ladder.landscape, ...ladder.portrait]) rows.push(await measureRung(rung, main, senders, pictures, frames));
  return rows;
}

export function rungCostMarkdown(n: number, rows: readonly RungCostRow[]): string {
  return [
    `Rung cost in process (CPU time, N=${n}, grid, VP8): each rung beyond the main one is paid only while a receiver takes it`,
    "| rung | compose (ms/frame) | encode (ms/frame) | cores at 30 fps | kbit/s out |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.rung} | ${r.composeMsPerFrame} | ${r.encodeMsPerFrame} | ${r.cores} | ${r.kbps} |`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const n = arg("n", 6);
  console.log(rungCostMarkdown(n, await rungCosts(n, arg("frames", 300))));
}
