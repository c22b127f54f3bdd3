/**
 * Compositor time per frame, without ffmpeg or a network: 4 tiles at 1280x720 (three pictures, one name
 * card; names in Hangul, Latin with diacritics, Cyrillic, Arabic; one muted, one speaking), composed
 * `--frames` times after a warm-up, into a fresh canvas per frame or, with `--reuse`, into one canvas as the
 * mixer does. Run against another checkout's mixer/ with `--root` to compare:
 *   node --import tsx bench/composeFrame.ts [--frames 900] [--reuse] [--root /path/to/checkout] [--png out.png]
 * Prints the mean, median and 95th percentile per frame, the CPU time per frame (the GC's share included),
 * and how many labels were rasterised.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { i420ToRgb, rgbToPng } from "../test/helpers/pictures.js";
import type * as Compositor from "../mixer/video/compositor.js";
import type * as I420 from "../mixer/video/i420.js";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const frames = Number(arg("frames") ?? 900);
const root = resolve(arg("root") ?? ".");
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(resolve(root, path)).href)) as T;

const { composeFrame } = await load<typeof Compositor>("mixer/video/compositor.ts");
const { createI420, rgbToYuv } = await load<typeof I420>("mixer/video/i420.ts");
// The branch before labels had no renderer: its composeFrame takes two arguments and ignores a third.
let labels: unknown;
try {
  const { LabelRenderer } = await load<typeof import("../mixer/video/labelRenderer.js")>("mixer/video/labelRenderer.ts");
  const { resolveLabelFont } = await load<typeof import("../mixer/video/labelFont.js")>("mixer/video/labelFont.ts");
  labels = new LabelRenderer({ outputHeight: 720, font: resolveLabelFont(process.env.LABEL_FONT) });
} catch {
  labels = undefined;
}

const canvas = { width: 1280, height: 720 };
const picture = (r: number, g: number, b: number) => createI420(640, 360, rgbToYuv(r, g, b));
const tiles = [
  { rect: { x: 0, y: 0, width: 640, height: 360 }, name: "김민수", frame: picture(40, 90, 160), highlight: true },
  { rect: { x: 640, y: 0, width: 640, height: 360 }, name: "Zoë Müller-Łukasz", frame: picture(60, 130, 70), audioMuted: true },
  { rect: { x: 0, y: 360, width: 640, height: 360 }, name: "Дмитрий Ковалёв", frame: picture(150, 70, 60) },
  { rect: { x: 640, y: 360, width: 640, height: 360 }, name: "محمد علي", frame: undefined, audioMuted: true },
];
const into = args.includes("--reuse") ? createI420(canvas.width, canvas.height) : undefined;
const compose = () => composeFrame(canvas, tiles, labels as never, into);
for (let i = 0; i < 60; i++) compose();
const times: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < frames; i++) {
  const t = performance.now();
  compose();
  times.push(performance.now() - t);
  // As the 30 fps clock does: the event loop (and so the GC's idle work) turns between frames.
  if (i % 10 === 0) await new Promise((r) => setImmediate(r));
}
const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
const mean = times.reduce((s, t) => s + t, 0) / times.length;
const rendered = (labels as { rendered?: number } | undefined)?.rendered;
console.log(
  JSON.stringify({
    root,
    frames,
    meanMs: +mean.toFixed(3),
    p50Ms: +times[Math.floor(frames / 2)].toFixed(3),
    p95Ms: +times[Math.floor(frames * 0.95)].toFixed(3),
    cpuMsPerFrame: +((cpu.user + cpu.system) / 1000 / frames).toFixed(3),
    reuse: into !== undefined,
    labelsRendered: rendered ?? null,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
const png = arg("png");
if (png) writeFileSync(png, await rgbToPng(i420ToRgb(compose()), canvas.width, canvas.height));
