/**
 * The mix encoder's cost on its own, in CPU time (which load on a shared machine disturbs far less than
 * wall-clock figures): the same 1280x720 canvases, moving name-card-like content, encoded
 *   - "pipe": by an ffmpeg child fed raw frames through its stdin (what the mixer did before node-av),
 *     counting Node's CPU for the writes and the child's for the encoding;
 *   - "vp8" / "h264": in this process through node-av (MixEncoder), on libuv's thread pool.
 * Usage: node --import tsx bench/encoderCost.ts [frames=300] [ffmpeg path]
 */
import { spawn } from "node:child_process";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { MixEncoder } from "../mixer/video/mixEncoder.js";
import { vp8EncoderOptions } from "../mixer/video/vp8EncoderOptions.js";
import { sampleTree } from "./procStats.js";

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
const BITRATE = 1_500_000;
const frames = Number(process.argv[2] ?? 300);
const ffmpeg = process.argv[3] ?? resolveFfmpegPath();

function canvas(i: number, out: Buffer): Buffer {
  out.fill(128, WIDTH * HEIGHT);
  out.fill(48, 0, WIDTH * HEIGHT);
  // A bright bar sweeping across, so every frame differs as a live mix does.
  const x0 = (i * 8) % WIDTH;
  for (let y = 200; y < 520; y++) out.fill(220, y * WIDTH + x0, y * WIDTH + Math.min(WIDTH, x0 + 160));
  return out;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function viaPipe(): Promise<string> {
  const args = [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "yuv420p",
    "-s",
    `${WIDTH}x${HEIGHT}`,
    "-framerate",
    String(FPS),
    "-i",
    "pipe:0",
  ];
  for (const [k, v] of Object.entries(vp8EncoderOptions({ bitrate: BITRATE, keyframeInterval: 300 }))) args.push(`-${k}`, String(v));
  args.push("-f", "ivf", "pipe:1");
  const child = spawn(ffmpeg, args, { stdio: ["pipe", "pipe", "inherit"] });
  let bytes = 0;
  child.stdout.on("data", (c: Buffer) => (bytes += c.length));
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const buf = Buffer.alloc((WIDTH * HEIGHT * 3) / 2);
  const node0 = cpuMs();
  for (let i = 0; i < frames; i++) {
    // A copy per frame, as the compositor's fresh canvas was; written whole (one write per frame).
    child.stdin.write(Buffer.from(canvas(i, buf)));
    await new Promise((r) => setTimeout(r, 1000 / FPS / 4));
  }
  // Every frame out (the output goes quiet), then the child's CPU, before it exits and /proc forgets it.
  let last = -1;
  while (bytes !== last) {
    last = bytes;
    await new Promise((r) => setTimeout(r, 300));
  }
  const childCpu = [...sampleTree(child.pid!).cpuSeconds.values()].reduce((a, b) => a + b, 0);
  child.stdin.end();
  await done;
  const nodeMs = cpuMs() - node0;
  return `pipe (${ffmpeg}): node ${(nodeMs / frames).toFixed(2)} ms/frame, ffmpeg child ${((childCpu * 1000) / frames).toFixed(2)} ms/frame, ${bytes} bytes`;
}

async function inProcess(codec: "vp8" | "h264"): Promise<string> {
  const encoder = new MixEncoder(codec, { width: WIDTH, height: HEIGHT, fps: FPS, bitrate: BITRATE });
  let bytes = 0;
  let keyframes = 0;
  const asked = new Map<number, number>();
  const answers: number[] = [];
  encoder.on("frame", (f) => {
    bytes += f.data.length;
    if (f.isKeyframe) keyframes++;
    const at = asked.get(f.index);
    if (at !== undefined) answers.push(performance.now() - at);
  });
  const buf = Buffer.alloc((WIDTH * HEIGHT * 3) / 2);
  const cpu0 = cpuMs();
  for (let i = 0; i < frames; i++) {
    const key = i > 0 && i % 60 === 0;
    if (key) asked.set(i, performance.now());
    encoder.encode(canvas(i, buf), i, key);
    await new Promise((r) => setTimeout(r, 1000 / FPS / 4));
  }
  while (encoder.backlog > 0) await new Promise((r) => setTimeout(r, 2));
  const ms = cpuMs() - cpu0;
  await encoder.close();
  return `${codec} in process (node-av): ${(ms / frames).toFixed(2)} ms/frame of CPU (all of it, Node's included), ${keyframes} keyframes (1 + ${answers.length} forced, each out ${answers.map((a) => a.toFixed(0)).join("/")} ms after asked), ${bytes} bytes`;
}

async function drawingOnly(): Promise<string> {
  const buf = Buffer.alloc((WIDTH * HEIGHT * 3) / 2);
  const cpu0 = cpuMs();
  for (let i = 0; i < frames; i++) {
    canvas(i, buf);
    await new Promise((r) => setTimeout(r, 1000 / FPS / 4));
  }
  return `drawing and timers only (in each figure below): ${((cpuMs() - cpu0) / frames).toFixed(2)} ms/frame`;
}

console.log(`${frames} frames ${WIDTH}x${HEIGHT}, ${BITRATE / 1000} kb/s`);
console.log(await drawingOnly());
console.log(await viaPipe());
console.log(await inProcess("vp8"));
console.log(await inProcess("h264"));
