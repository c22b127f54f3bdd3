/**
 * Bench clips whose pixels say who sent them and which frame they are: a 4 x 3 block code in the centre
 * of a moving test pattern. A receiver that decodes the mix (or an SFU stream) reads the code back and
 * looks up when that sender sent that frame: glass-to-glass latency without any clock but the bench's.
 *
 * The code is 12 cells of 64x64 source pixels: 3 bits of sender index, 7 bits of frame index, 2 check
 * bits. Large solid cells survive VP8 at 800 kbit/s and the MCU's downscale to a sixth of the canvas.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { IvfReader, isVp8Keyframe } from "../mixer/video/ivf.js";
import { h264EncoderArgs, type EncodedClip } from "../test/helpers/fixtures.js";
import { accessUnits } from "../test/helpers/h264Packetizer.js";

export const CLIP_WIDTH = 640;
export const CLIP_HEIGHT = 480;
export const CLIP_FPS = 30;
/** Frames in one loop of the clip; the frame index in the code counts modulo this. */
export const CLIP_FRAMES = 120;
const CELL = 64;
const COLUMNS = 4;
const ROWS = 3;
const ORIGIN_X = (CLIP_WIDTH - COLUMNS * CELL) / 2;
const ORIGIN_Y = (CLIP_HEIGHT - ROWS * CELL) / 2;
const BITRATE = "800k";
const GOP = 60;

export type ClipCodec = "vp8" | "h264";

export interface BarcodeClip extends EncodedClip {
  /** The file the frames came from (IVF, or raw Annex-B H264): the offline floor decodes the very same bytes. */
  readonly path: string;
  readonly codec: ClipCodec;
}

function checkBits(value: number): number {
  let ones = 0;
  for (let v = value; v; v >>= 1) ones += v & 1;
  return ones & 3;
}

function encode(sender: number, frame: number): number {
  const value = ((sender & 7) << 7) | (frame & 127);
  return (value << 2) | checkBits(value);
}

/** The code's cell centres in source-pixel coordinates, most significant bit first. */
export function cellCentres(): { x: number; y: number }[] {
  const centres: { x: number; y: number }[] = [];
  for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLUMNS; c++) centres.push({ x: ORIGIN_X + c * CELL + CELL / 2, y: ORIGIN_Y + r * CELL + CELL / 2 });
  return centres;
}

/** Reads a code from brightness samples at the cell centres; undefined when the check bits disagree. */
export function decodeCells(bright: readonly boolean[]): { sender: number; frame: number } | undefined {
  let word = 0;
  for (const b of bright) word = (word << 1) | (b ? 1 : 0);
  const value = word >> 2;
  if (checkBits(value) !== (word & 3)) return undefined;
  return { sender: value >> 7, frame: value & 127 };
}

function drawCode(yPlane: Buffer, uPlane: Buffer, vPlane: Buffer, code: number): void {
  for (let cell = 0; cell < COLUMNS * ROWS; cell++) {
    const on = (code >> (COLUMNS * ROWS - 1 - cell)) & 1;
    const x0 = ORIGIN_X + (cell % COLUMNS) * CELL;
    const y0 = ORIGIN_Y + Math.floor(cell / COLUMNS) * CELL;
    for (let y = y0; y < y0 + CELL; y++) yPlane.fill(on ? 235 : 16, y * CLIP_WIDTH + x0, y * CLIP_WIDTH + x0 + CELL);
    for (let y = y0 / 2; y < (y0 + CELL) / 2; y++) {
      uPlane.fill(128, y * (CLIP_WIDTH / 2) + x0 / 2, y * (CLIP_WIDTH / 2) + (x0 + CELL) / 2);
      vPlane.fill(128, y * (CLIP_WIDTH / 2) + x0 / 2, y * (CLIP_WIDTH / 2) + (x0 + CELL) / 2);
    }
  }
}

const cache = new Map<string, BarcodeClip>();

/**
 * Sender `sender`'s clip: 4 s of 640x480 30 fps VP8 (or H264, as a browser sends it) at about 800 kbit/s, encoded once and kept on disk
 * (the temp directory) so later runs, and the senders while measuring, encode nothing.
 */
export function barcodeClip(sender: number, codec: ClipCodec = "vp8"): BarcodeClip {
  const key = `${codec}:${sender}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const dir = join(tmpdir(), "tessera-bench-clips");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `barcode-v1-${sender}.${codec === "vp8" ? "ivf" : "h264"}`);
  if (!existsSync(path)) {
    const ffmpeg = resolveFfmpegPath();
    const raw = execFileSync(
      ffmpeg,
      ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc2=s=${CLIP_WIDTH}x${CLIP_HEIGHT}:r=${CLIP_FPS}`, "-frames:v", String(CLIP_FRAMES), "-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1"],
      { maxBuffer: 128 * 1024 * 1024 },
    );
    const frameBytes = (CLIP_WIDTH * CLIP_HEIGHT * 3) / 2;
    const lumaBytes = CLIP_WIDTH * CLIP_HEIGHT;
    for (let f = 0; f < CLIP_FRAMES; f++) {
      const base = f * frameBytes;
      drawCode(
        raw.subarray(base, base + lumaBytes),
        raw.subarray(base + lumaBytes, base + lumaBytes * 1.25),
        raw.subarray(base + lumaBytes * 1.25, base + frameBytes),
        encode(sender, f),
      );
    }
    const encoder =
      codec === "vp8"
        ? ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", BITRATE, "-g", String(GOP), "-auto-alt-ref", "0", "-f", "ivf"]
        : [...h264EncoderArgs(BITRATE, GOP), "-f", "h264"];
    const encoded = execFileSync(
      ffmpeg,
      ["-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${CLIP_WIDTH}x${CLIP_HEIGHT}`, "-r", String(CLIP_FPS), "-i", "pipe:0", ...encoder, "pipe:1"],
      { input: raw, maxBuffer: 64 * 1024 * 1024 },
    );
    // Written under a temporary name first so an interrupted run never leaves half a clip to be reused.
    writeFileSync(`${path}.part`, encoded);
    renameSync(`${path}.part`, path);
  }
  const bytes = readFileSync(path);
  const frames =
    codec === "vp8" ? new IvfReader().push(bytes).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) })) : accessUnits(bytes);
  if (frames.length !== CLIP_FRAMES) throw new Error(`${path}: expected ${CLIP_FRAMES} frames, found ${frames.length}; delete it to re-encode`);
  const clip: BarcodeClip = { frames, path, codec };
  cache.set(key, clip);
  return clip;
}
