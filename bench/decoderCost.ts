/**
 * What the participants' decoders cost, in CPU time, and what decoding in this process would save: six
 * VP8 streams at a 3x2 grid's tile size (what tile-following senders send), fed in real time at 30 fps,
 * each decoded and scaled to its 426x360 tile
 *   - "ffmpeg": by the mixer's own VideoDecoder, one ffmpeg child each (Node's CPU for the pipes and the
 *     children's for the decoding, counted apart);
 *   - "node-av": in this process through FFmpeg's libraries (node-av), decode on libuv's thread pool, the
 *     scale on the event loop, and one copy of each picture into a Buffer as the compositor takes it.
 * The second is a measurement of what the change would earn, not the mixer's code.
 * Usage: node --import tsx bench/decoderCost.ts [seconds=10] [ffmpeg path]
 */
import { execFileSync } from "node:child_process";
import { AV_CODEC_ID_VP8, AV_LOG_QUIET, AV_PIX_FMT_YUV420P, SWS_FAST_BILINEAR } from "node-av/constants";
import { Codec, CodecContext, Frame, Log, Packet, SoftwareScaleContext } from "node-av/lib";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { IvfReader, isVp8Keyframe } from "../mixer/video/ivf.js";
import { VideoDecoder } from "../mixer/video/videoDecoder.js";
import { vp8EncoderArgs } from "../test/helpers/fixtures.js";
import { testMediaContext } from "../test/helpers/mediaContext.js";
import { sampleTree } from "./procStats.js";

const INPUTS = 6;
const TILE = { width: 426, height: 360 };
const FPS = 30;
const seconds = Number(process.argv[2] ?? 10);
const ffmpeg = process.argv[3] ?? resolveFfmpegPath();

/** A moving test pattern at the tile's size, VP8 as a browser sends it (one keyframe, then deltas). */
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
      `testsrc2=s=${TILE.width}x${TILE.height}:r=${FPS}`,
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

async function viaFfmpeg(frames: ReturnType<typeof clip>): Promise<string> {
  const context = { ...testMediaContext(), ffmpegPath: ffmpeg };
  const decoders = Array.from({ length: INPUTS }, (_, i) => new VideoDecoder("vp8", TILE, `bench ${i}`, context));
  let out = 0;
  for (const d of decoders) d.on("frame", () => out++);
  // Let every child start (its start-up is a cost of a join, not of a frame): feed in real time until each
  // has given a picture. Debian's ffmpeg 5.1 holds one or two frames before its first (the bundled 4.1 none).
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
  return `ffmpeg children: ${(children / wall).toFixed(3)} cores, Node ${(node / wall).toFixed(3)}, total ${((children + node) / wall).toFixed(3)}; ${out - warmOut} frames out (of ${INPUTS * (frames.length - next)} fed), ${skipped} skipped`;
}

/** One participant decoded in process: packet -> picture -> tile-sized I420 in a Buffer of its own. */
class InProcessDecoder {
  private readonly context = new CodecContext();
  private readonly packet = new Packet();
  private readonly decoded = new Frame();
  private readonly scaled = new Frame();
  private readonly scaler = new SoftwareScaleContext();
  private scalerFor = "";
  private chain: Promise<void> = Promise.resolve();
  framesOut = 0;

  constructor() {
    const codec = Codec.findDecoder(AV_CODEC_ID_VP8);
    if (!codec) throw new Error("no VP8 decoder in node-av's FFmpeg");
    this.context.allocContext3(codec);
    this.context.threadCount = 1;
    const opened = this.context.open2Sync(codec);
    if (opened < 0) throw new Error(`could not open the VP8 decoder (FFmpeg error ${opened})`);
    this.packet.alloc();
    this.decoded.alloc();
    const s = this.scaled;
    s.alloc();
    s.width = TILE.width;
    s.height = TILE.height;
    s.format = AV_PIX_FMT_YUV420P;
    s.allocBuffer();
  }

  decode(data: Buffer, onPicture: (picture: Buffer) => void): void {
    this.chain = this.chain.then(async () => {
      this.packet.data = data;
      const sent = await this.context.sendPacket(this.packet);
      this.packet.unref();
      if (sent < 0) throw new Error(`VP8 decoder refused a packet (FFmpeg error ${sent})`);
      while (this.context.receiveFrameSync(this.decoded) >= 0) {
        const key = `${this.decoded.width}x${this.decoded.height}`;
        if (key !== this.scalerFor) {
          this.scaler.getContext(
            this.decoded.width,
            this.decoded.height,
            AV_PIX_FMT_YUV420P,
            TILE.width,
            TILE.height,
            AV_PIX_FMT_YUV420P,
            SWS_FAST_BILINEAR,
          );
          this.scaler.initContext();
          this.scalerFor = key;
        }
        this.scaled.makeWritable();
        this.scaler.scaleFrameSync(this.scaled, this.decoded);
        this.decoded.unref();
        this.framesOut++;
        onPicture(this.scaled.toBuffer());
      }
    });
  }

  async close(): Promise<void> {
    await this.chain;
    this.context.freeContext();
    this.scaler.freeContext();
    this.decoded.free();
    this.scaled.free();
    this.packet.free();
  }
}

async function viaNodeAv(frames: ReturnType<typeof clip>): Promise<string> {
  Log.setLevel(AV_LOG_QUIET);
  const decoders = Array.from({ length: INPUTS }, () => new InProcessDecoder());
  let out = 0;
  let bytes = 0;
  const picture = (b: Buffer) => {
    out++;
    bytes += b.length;
  };
  for (const d of decoders) for (const i of [0, 1]) d.decode(frames[i].data, picture);
  while (out < 2 * INPUTS) await new Promise((r) => setTimeout(r, 20));
  const cpu0 = cpuSeconds();
  const wall0 = performance.now();
  await realTime(
    frames.length - 2,
    (i) => {
      for (const d of decoders) d.decode(frames[i + 2].data, picture);
    },
    () => out,
  );
  const wall = (performance.now() - wall0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  await Promise.all(decoders.map((d) => d.close()));
  if (bytes !== out * TILE.width * TILE.height * 1.5) throw new Error("a picture came out at the wrong size");
  return `in process: ${(cpu / wall).toFixed(3)} cores; ${out - 2 * INPUTS} frames out (of ${INPUTS * (frames.length - 2)})`;
}

const frames = clip();
console.log(`${INPUTS} VP8 inputs at ${TILE.width}x${TILE.height}, ${FPS} fps, ${frames.length} frames each, ffmpeg ${ffmpeg}`);
console.log(await viaFfmpeg(frames));
console.log(await viaNodeAv(frames));
console.log(await viaFfmpeg(frames));
console.log(await viaNodeAv(frames));
