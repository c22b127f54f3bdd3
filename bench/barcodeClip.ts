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
import { h264EncoderArgs, vp8EncoderArgs, type EncodedClip } from "../test/helpers/fixtures.js";
import { accessUnits } from "../test/helpers/h264AccessUnits.js";
import type { Size } from "../mixer/layout/gridLayout.js";
import { tileBitrate } from "../src/rooms/tileBitrate.js";

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
  readonly size: Size;
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
  for (let r = 0; r < ROWS; r++)
    for (let c = 0; c < COLUMNS; c++) centres.push({ x: ORIGIN_X + c * CELL + CELL / 2, y: ORIGIN_Y + r * CELL + CELL / 2 });
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

/** What a browser capturing 640x480 sends for a tile (client/tile.ts: scaleDownFor); undefined: full VGA. */
export function browserSendSize(tile: Size): Size | undefined {
  const scale = Math.max(1, Math.min(CLIP_WIDTH / tile.width, CLIP_HEIGHT / tile.height));
  if (scale === 1) return undefined;
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return { width: even(CLIP_WIDTH / scale), height: even(CLIP_HEIGHT / scale) };
}

/**
 * Sender `sender`'s clip: 4 s of 640x480 30 fps VP8 (or H264, as a browser sends it) at about 800 kbit/s, encoded once and kept on disk
 * (the temp directory) so later runs, and the senders while measuring, encode nothing.
 * With `tile`: the same pictures as a browser obeying that `tile` message sends them (client/tile.ts): scaled
 * down by max(1, min(640 / width, 480 / height)), aspect kept, so the server still crops and scales them
 * into the tile as it did the VGA clip and the code cells land on the same pixels of the mix; at the
 * bitrate the server asks for the tile (tileBitrate), at most the VGA clip's.
 */
export function barcodeClip(sender: number, codec: ClipCodec = "vp8", tile?: Size): BarcodeClip {
  const scaled = tile ? browserSendSize(tile) : undefined;
  const key = `${codec}:${sender}${scaled ? `:${scaled.width}x${scaled.height}` : ""}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const dir = join(tmpdir(), "tessera-bench-clips");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `barcode-v1-${sender}${scaled ? `-${scaled.width}x${scaled.height}` : ""}.${codec === "vp8" ? "ivf" : "h264"}`);
  if (!existsSync(path)) {
    const ffmpeg = resolveFfmpegPath();
    const raw = execFileSync(
      ffmpeg,
      [
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        `testsrc2=s=${CLIP_WIDTH}x${CLIP_HEIGHT}:r=${CLIP_FPS}`,
        "-frames:v",
        String(CLIP_FRAMES),
        "-pix_fmt",
        "yuv420p",
        "-f",
        "rawvideo",
        "pipe:1",
      ],
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
    const bitrate = tile && scaled ? `${Math.min(800, Math.round(tileBitrate(tile.width, tile.height) / 1000))}k` : BITRATE;
    const filter = scaled ? ["-vf", `scale=${scaled.width}:${scaled.height}`] : [];
    const encoder =
      codec === "vp8"
        ? [...filter, ...vp8EncoderArgs(bitrate, GOP), "-f", "ivf"]
        : [...filter, ...h264EncoderArgs(bitrate, GOP), "-f", "h264"];
    const encoded = execFileSync(
      ffmpeg,
      [
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "-s",
        `${CLIP_WIDTH}x${CLIP_HEIGHT}`,
        "-r",
        String(CLIP_FPS),
        "-i",
        "pipe:0",
        ...encoder,
        "pipe:1",
      ],
      { input: raw, maxBuffer: 64 * 1024 * 1024 },
    );
    // Written under a temporary name first so an interrupted run never leaves half a clip to be reused.
    writeFileSync(`${path}.part`, encoded);
    renameSync(`${path}.part`, path);
  }
  const bytes = readFileSync(path);
  const frames =
    codec === "vp8"
      ? new IvfReader().push(bytes).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) }))
      : accessUnits(bytes);
  if (frames.length !== CLIP_FRAMES)
    throw new Error(`${path}: expected ${CLIP_FRAMES} frames, found ${frames.length}; delete it to re-encode`);
  const clip: BarcodeClip = { frames, path, codec, size: scaled ?? { width: CLIP_WIDTH, height: CLIP_HEIGHT } };
  cache.set(key, clip);
  return clip;
}
