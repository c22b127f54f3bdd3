// Issue 22 §1: a shared screen's text stays readable in the mix and in the recording. A werift sender shares
// a 1920x1080 screen showing a line of code (real VP8 from ffmpeg); a werift viewer decodes the real mix; the
// screen's place in the presentation comes from the same pure layout function the mixer uses. The text is
// read back as the labels test reads names: the ink where the line must be is compared with the same line
// drawn by Skia at the size the mix scales it to, and a different line of the same length must not match.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { computeLayout } from "../../mixer/layout/computeLayout.js";
import type { Rect } from "../../mixer/layout/gridLayout.js";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { IvfReader, isVp8Keyframe } from "../../mixer/video/ivf.js";
import { screenSourceId } from "../../protocol/screenSource.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { solidColourClip, vp8EncoderArgs, type EncodedClip } from "../helpers/fixtures.js";
import { cropLuma, inkSimilarity, referenceText, rgbLuma, type Luma } from "../helpers/glyphs.js";
import { TestClient } from "../helpers/testClient.js";

const TOKEN = "screen-text-token";
const ROOM = "screen-text";
const W = 1280;
const H = 720;
const SCREEN = { width: 1920, height: 1080 };
/** What an interview's shared editor shows: 40 px code on a 1080p screen, some 21 px in the 1280x720 mix. */
const FONT_PX = 40;
const LINE = "const answer = compute(42);";
/** The same length and font, other characters: a blurred mix could pass for anything, this must not. */
const OTHER = "let value = transform(9);//";
const TEXT_AT = { x: 120, y: 200 };

/** The label font (what the mix draws names with, installed by npm ci): the screen and the reference both use it. */
function cssFont(px: number): string {
  const family = resolveLabelFont(undefined).families[0] ?? "sans-serif";
  return `bold ${px}px "${family}"`;
}

/** A still 1920x1080 screen with one line of white code on black, encoded as VP8 by a real ffmpeg. */
function codeScreenClip(dir: string): EncodedClip {
  const canvas = createCanvas(SCREEN.width, SCREEN.height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, SCREEN.width, SCREEN.height);
  ctx.fillStyle = "#fff";
  ctx.font = cssFont(FONT_PX);
  ctx.fillText(LINE, TEXT_AT.x, TEXT_AT.y + FONT_PX);
  const png = join(dir, "screen.png");
  writeFileSync(png, canvas.toBuffer("image/png"));
  const ivf = execFileSync(
    resolveFfmpegPath(),
    ["-hide_banner", "-loglevel", "error", "-loop", "1", "-framerate", "15", "-i", png, "-t", "2"].concat(vp8EncoderArgs("2M", 15), [
      "-pix_fmt",
      "yuv420p",
      "-f",
      "ivf",
      "pipe:1",
    ]),
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return { frames: new IvfReader().push(ivf).map((f) => ({ data: Buffer.from(f.data), isKeyframe: isVp8Keyframe(f.data) })) };
}

/** Where the line must be in a mix picture: the screen drawn whole (contain) in its tile, scaled. */
function textRegion(tile: Rect): { region: Rect; scale: number } {
  const scale = Math.min(tile.width / SCREEN.width, tile.height / SCREEN.height);
  const left = tile.x + (tile.width - SCREEN.width * scale) / 2;
  const top = tile.y + (tile.height - SCREEN.height * scale) / 2;
  // The line's band with a margin, short of the tile's bottom, where the sharer's name label sits.
  const region = {
    x: Math.round(left + (TEXT_AT.x - 40) * scale),
    y: Math.round(top + (TEXT_AT.y - 30) * scale),
    width: Math.round((SCREEN.width - TEXT_AT.x) * scale),
    height: Math.round((FONT_PX * 2 + 60) * scale),
  };
  return { region, scale };
}

function scores(luma: Luma, tile: Rect): { line: number; other: number } {
  const { region, scale } = textRegion(tile);
  const ink = cropLuma(luma, region.x, region.y, region.width, region.height);
  return {
    line: inkSimilarity(ink, referenceText(LINE, cssFont(FONT_PX * scale)), 4),
    other: inkSimilarity(ink, referenceText(OTHER, cssFont(FONT_PX * scale)), 4),
  };
}

describe("a shared screen's text in the mix and the recording (issue 22)", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-screen-text-"));
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: join(dir, "recordings"),
      // The viewer decodes keyframes only (below): one every 2 s, and the recording's file starts at one.
      keyframeIntervalMs: 2000,
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the shared line back from the mix a viewer receives and from the recording's last picture", async () => {
    const make = (name: string, options: Partial<ConstructorParameters<typeof TestClient>[0]> = {}) => {
      const c = new TestClient({ url: server.url, room: ROOM, name, toneHz: 440, toneAmplitude: 0, decode: false, ...options });
      clients.push(c);
      return c;
    };
    const viewer = make("Viewer", { role: "viewer", decode: true, probeSize: { width: W, height: H }, decodeKeyframesOnly: true });
    await viewer.connect();
    const ada = make("Ada", { clip: solidColourClip("0x204080") });
    await ada.connect();
    const bo = make("Bo", { clip: solidColourClip("0x408020") });
    await bo.connect();
    await bo.shareScreen(codeScreenClip(dir));
    const screenId = screenSourceId(bo.id);
    const tile = computeLayout(
      { layout: "presentation" },
      { cameras: [ada.id, bo.id], screen: screenId },
      { width: W, height: H },
    ).tiles.get(screenId)!;
    expect(tile, "the screen has a tile in the presentation").toBeDefined();

    let read = { line: 0, other: 0 };
    const sharedAt = performance.now();
    await eventually(
      () => {
        if (!viewer.decoder.latest) return false;
        read = scores(rgbLuma(viewer.decoder.latest, W, H), tile);
        return read.line > 0.8;
      },
      60_000,
      "the shared line legible in the mix",
    ).catch((err: Error) => {
      throw new Error(`${err.message}: similarity ${JSON.stringify(read)}`);
    });
    console.log(
      `screen text: legible in the mix ${Math.round(performance.now() - sharedAt)} ms after the share, similarity ${JSON.stringify(read)}`,
    );
    expect(read.other, `a different line must not match (${JSON.stringify(read)})`).toBeLessThan(read.line - 0.15);

    // The recording is the same mix: its last picture holds the line as legibly.
    const api = (path: string) => fetch(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await api(`/api/rooms/${ROOM}/recording/start`)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await api(`/api/rooms/${ROOM}/recording/stop`)).status).toBe(200);
    const webm = () => readdirSync(join(dir, "recordings")).find((f) => f.endsWith(".webm"));
    await eventually(() => webm() !== undefined, 10_000, "the recording's file");
    const file = webm()!;
    const rgb = execFileSync(
      resolveFfmpegPath(),
      ["-hide_banner", "-loglevel", "error", "-sseof", "-0.5", "-i", join(dir, "recordings", file)].concat([
        "-frames:v",
        "1",
        "-s",
        `${W}x${H}`,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
      ]),
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const recorded = scores(rgbLuma(rgb, W, H), tile);
    console.log(`screen text: in the recording, similarity ${JSON.stringify(recorded)}`);
    expect(recorded.line, `the line in the recording (${JSON.stringify(recorded)})`).toBeGreaterThan(0.8);
    expect(recorded.other).toBeLessThan(recorded.line - 0.15);
  }, 120_000);
});
