/**
 * What the participants' decoders cost, in CPU time, by kind: six VP8 streams at a 3x2 grid's tile size
 * (what tile-following senders send), fed in real time at 30 fps, each decoded and scaled to its 426x360 tile
 *   - "ffmpeg": by the mixer's VideoDecoder, one ffmpeg child each (Node's CPU for the pipes and the
 *     children's for the decoding, counted apart);
 *   - "in process": by the mixer's InProcessVideoDecoder (VIDEO_DECODER=inprocess), FFmpeg's libraries
 *     through node-av, decoding and scaling on libuv's thread pool, one copy of each picture into a Buffer.
 * Both are the mixer's own code, fed the same frames the same way. Each runs twice, alternating.
 * Usage: node --import tsx bench/decoderCost.ts [seconds=10] [ffmpeg path] [source size=426x360]
 * (a source of another size, 640x480 say, adds the scaling a sender that ignores its tile size costs).
 */
import { execFileSync } from "node:child_process";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { IvfReader, isVp8Keyframe } from "../mixer/video/ivf.js";
import { InProcessVideoDecoder } from "../mixer/video/inProcessDecoder.js";
import type { ParticipantDecoder } from "../mixer/video/participantDecoder.js";
import { VideoDecoder } from "../mixer/video/videoDecoder.js";
import { vp8EncoderArgs } from "../test/helpers/fixtures.js";
import { testMediaContext } from "../test/helpers/mediaContext.js";
import { sampleTree } from "./procStats.js";

const INPUTS = 6;
const TILE = { width: 426, height: 360 };
const FPS = 30;
const seconds = Number(process.argv[2] ?? 10);
const ffmpeg = process.argv[3] || resolveFfmpegPath();
const SOURCE = process.argv[4] ?? `${TILE.width}x${TILE.height}`;

/** A moving test pattern at the tile's size (or SOURCE), VP8 as a browser sends it (one keyframe, then deltas). */
function clip(): { data: Buffer; isKeyframe: boolean }[] {
  const ivf = execFileSync(
    ffmpeg,
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=s=${SOURCE}:r=${FPS}`,
      "-t",
      String(seconds),
      ...vp8EncoderArgs("400k", 100_000),
      "-f",
      "ivf",
      "pipe:1",
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  return new IvfReader().push(ivf).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) }));
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Calls feed(i) for each frame index at 30 fps in real time, then waits for the output to go quiet. */
async function realTime(frames: number, feed: (i: number) => void, decoded: () => number): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < frames; i++) {
    feed(i);
    const due = start + ((i + 1) * 1000) / FPS;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  let last = -1;
  while (decoded() !== last) {
    last = decoded();
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Feeds every decoder each frame in real time, after a warm-up until each has given a picture (a join's cost, not a frame's). */
async function measure(name: string, decoders: ParticipantDecoder[], frames: ReturnType<typeof clip>): Promise<string> {
  let out = 0;
  for (const d of decoders) d.on("frame", () => out++);
  // Debian's ffmpeg 5.1 holds one or two frames before its first picture (the bundled 4.1 none).
  let next = 0;
  while (decoders.some((d) => d.framesOut === 0)) {
    for (const d of decoders) d.decode({ ...frames[next], timestamp: next * 3000 });
    next++;
    await new Promise((r) => setTimeout(r, 1000 / FPS));
  }
  const warmOut = out;
  const node0 = cpuSeconds();
  const tree0 = sampleTree(process.pid);
  const wall0 = performance.now();
  await realTime(
    frames.length - next,
    (i) => {
      for (const d of decoders) d.decode({ ...frames[next + i], timestamp: (next + i) * 3000 });
    },
    () => out,
  );
  const wall = (performance.now() - wall0) / 1000;
  const node = cpuSeconds() - node0;
  const tree = sampleTree(process.pid);
  let children = 0;
  for (const [pid, cpu] of tree.cpuSeconds) if (pid !== process.pid) children += cpu - (tree0.cpuSeconds.get(pid) ?? 0);
  const skipped = decoders.reduce((sum, d) => sum + d.framesSkipped, 0);
  await Promise.all(decoders.map((d) => d.close()));
  const total = ((children + node) / wall).toFixed(3);
  // Per picture out, too: a decoder that falls behind skips to keyframes and so does (and costs) less.
  const perPicture = (((children + node) * 1000) / Math.max(1, out - warmOut)).toFixed(2);
  return `${name}: total ${total} cores (children ${(children / wall).toFixed(3)}, Node ${(node / wall).toFixed(3)}), ${perPicture} ms CPU per picture; ${out - warmOut} frames out (of ${INPUTS * (frames.length - next)} fed), ${skipped} skipped`;
}

function viaFfmpeg(frames: ReturnType<typeof clip>): Promise<string> {
  const context = { ...testMediaContext(), ffmpegPath: ffmpeg };
  const decoders = Array.from({ length: INPUTS }, (_, i) => new VideoDecoder("vp8", TILE, `bench ${i}`, context));
  return measure("ffmpeg children", decoders, frames);
}

function inProcess(frames: ReturnType<typeof clip>): Promise<string> {
  const context = testMediaContext();
  const decoders = Array.from({ length: INPUTS }, () => new InProcessVideoDecoder("vp8", TILE, context));
  return measure("in process", decoders, frames);
}

const frames = clip();
console.log(
  `${INPUTS} VP8 inputs at ${SOURCE} to ${TILE.width}x${TILE.height}, ${FPS} fps, ${frames.length} frames each, ffmpeg ${ffmpeg}`,
);
console.log(await viaFfmpeg(frames));
console.log(await inProcess(frames));
console.log(await viaFfmpeg(frames));
console.log(await inProcess(frames));
