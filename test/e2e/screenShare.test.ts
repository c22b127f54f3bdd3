// Screen sharing in real Chromium (issue 22): a sender's "Share screen" button shares a screen whose content the
// test knows (getDisplayMedia answered by a canvas: four coloured quadrants and two bar codes, one coarse and one
// fine), and another sender's page shows the mix: the screen large on the left, both faces in the column beside
// it, the bar codes read back from the mixed picture. A second share is refused naming the sharer; stopping by
// the button or by the browser's own "stop sharing" (the track's `ended`), and the sharer leaving, each bring the
// grid back; with SCREEN_SHARE_POLICY=takeover a second share replaces the first. In an SFU room the others get
// the screen as a stream of its own. The room is recorded while the screen is shared, and the recording's last picture is the same
// presentation. The pages and mixed pictures are saved as PNGs (the path is printed; docs/client.md shows two).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { colourCamera, type Rgb } from "../helpers/pageMedia.js";

const TEST_TIMEOUT_MS = 180_000;
const ROOM = "screen-e2e";
const TEAL: Rgb = [0, 160, 160];
const PURPLE: Rgb = [160, 0, 160];
/** The screen's quadrants, clockwise from the top left. */
const QUADRANTS: readonly Rgb[] = [
  [230, 30, 30],
  [30, 200, 30],
  [30, 30, 230],
  [230, 230, 30],
];
/** Read back from the mix: 12 bits each, most significant first. */
const COARSE_CODE = 0b1011_0010_1101;
const FINE_CODE = 0b1100_1010_0111;
const BITS = 12;
/** In screen pixels (1280x720): the coarse code's bars are 40 px wide, the fine one's 10 (8 px once drawn at 1024 wide). */
const COARSE = { y: 300, height: 50, bar: 40 };
const FINE = { y: 380, height: 40, bar: 10 };
/** Where the bar codes start, in screen pixels. */
const CODE_X = 400;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

interface FakeScreen {
  quadrants: readonly Rgb[];
  codes: { value: number; y: number; height: number; bar: number }[];
  bits: number;
  x: number;
}

/**
 * An init script: getDisplayMedia answers with a 1280x720 canvas of four coloured quadrants and white bands with
 * black-and-white bar codes (a bar per bit, black for 1), repainted at 15 fps so the encoder keeps sending.
 * Every stream it gave is kept in `window.__screens` (the test ends one as the browser's "stop sharing" would).
 */
function fakeScreen(screen: FakeScreen): void {
  const w = window as unknown as { __screens: MediaStream[]; __screenStill?: boolean };
  w.__screens = [];
  const devices = navigator.mediaDevices;
  if (!devices) return;
  devices.getDisplayMedia = async (options?: DisplayMediaStreamOptions) => {
    const canvas = document.createElement("canvas");
    canvas.width = 1280;
    canvas.height = 720;
    const ctx = canvas.getContext("2d")!;
    let tick = 0;
    const paint = () => {
      // A still screen: the canvas is not painted, so its stream sends no frames at all.
      if (w.__screenStill) return;
      screen.quadrants.forEach(([r, g, b], i) => {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fillRect(i === 1 || i === 2 ? 640 : 0, i >= 2 ? 360 : 0, 640, 360);
      });
      for (const code of screen.codes) {
        ctx.fillStyle = "#fff";
        ctx.fillRect(screen.x - code.bar, code.y - 10, code.bar * (screen.bits + 2), code.height + 20);
        ctx.fillStyle = "#000";
        for (let bit = 0; bit < screen.bits; bit++)
          if ((code.value >> (screen.bits - 1 - bit)) & 1) ctx.fillRect(screen.x + bit * code.bar, code.y, code.bar, code.height);
      }
      // A small moving mark in a corner: frames keep coming.
      ctx.fillStyle = "#888";
      ctx.fillRect((tick = (tick + 16) % 600), 700, 16, 16);
    };
    paint();
    setInterval(paint, 66);
    const stream = canvas.captureStream(15);
    // A tab's sound, where the page asks for it (SFU rooms): an 880 Hz tone.
    if (options?.audio) {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      const out = audio.createMediaStreamDestination();
      tone.connect(out);
      tone.start();
      stream.addTrack(out.stream.getAudioTracks()[0]);
    }
    w.__screens.push(stream);
    return stream;
  };
}

/** The page's mixed video, sampled at points given as fractions of its size; null before a picture. */
const sampleMix = (tp: TestPage, points: readonly (readonly [number, number])[]) => sampleVideo(tp, "#mixed", points);

const near = (a: Rgb, b: Rgb, tolerance = 60) => Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]) <= tolerance * 1.5;

/** Waits until every point shows its colour; the last samples in the error otherwise. */
async function waitForMix(
  tp: TestPage,
  expected: readonly { at: readonly [number, number]; rgb: Rgb }[],
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Awaited<ReturnType<typeof sampleMix>> = null;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    last = await sampleMix(
      tp,
      expected.map((e) => e.at),
    );
    if (last && expected.every((e, k) => near(last![k], e.rgb))) return;
    await tp.page.waitForTimeout(250);
  }
  throw new Error(`${what}: expected ${JSON.stringify(expected)}, saw ${JSON.stringify(last)}\n${await describePage(tp)}`);
}

/**
 * The screen's region in a landscape mix: the presentation layout's left 80 %, the 16:9 screen letterboxed
 * into it. A point of the screen (fractions of it) as fractions of the mix.
 */
function onMix(sx: number, sy: number): [number, number] {
  const region = { width: 1024, height: 720 };
  const drawnHeight = (region.width * 9) / 16;
  const top = (region.height - drawnHeight) / 2;
  return [(sx * region.width) / 1280, (top + sy * drawnHeight) / 720];
}

/** The bar code's bits read back from the mix: the middle of each bar, dark for 1. */
async function readCode(tp: TestPage, code: { y: number; height: number; bar: number }): Promise<number | null> {
  const points = Array.from({ length: BITS }, (_, bit) =>
    onMix((CODE_X + (bit + 0.5) * code.bar) / 1280, (code.y + code.height / 2) / 720),
  );
  const sampled = await sampleMix(tp, points);
  if (!sampled) return null;
  return sampled.reduce((value, [r, g, b]) => (value << 1) | (r + g + b < 3 * 128 ? 1 : 0), 0);
}

/** The last picture of a recording, decoded at 320x180, sampled at points given as fractions of it. */
function lastRecordedPicture(file: string, points: readonly (readonly [number, number])[]): Rgb[] {
  const w = 320;
  const h = 180;
  const raw = execFileSync(
    resolveFfmpegPath(),
    ["-v", "error", "-i", file, "-an", "-vf", `scale=${w}:${h}`, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    { maxBuffer: 512 << 20 },
  );
  const last = raw.subarray(raw.length - w * h * 3);
  return points.map(([fx, fy]) => {
    const i = (Math.floor(fy * h) * w + Math.floor(fx * w)) * 3;
    return [last[i], last[i + 1], last[i + 2]] as const;
  });
}

/** A video element's frame sampled at points given as fractions of it; null before a picture. */
async function sampleVideo(tp: TestPage, selector: string, points: readonly (readonly [number, number])[]): Promise<Rgb[] | null> {
  return tp.page.evaluate(
    ({ selector, points }) => {
      const video = document.querySelector<HTMLVideoElement>(selector);
      if (!video || video.videoWidth === 0) return null;
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
      ctx.drawImage(video, 0, 0);
      return points.map(([fx, fy]) => {
        const d = ctx.getImageData(Math.floor(fx * canvas.width), Math.floor(fy * canvas.height), 1, 1).data;
        return [d[0], d[1], d[2]] as [number, number, number];
      });
    },
    { selector, points },
  );
}

async function click(tp: TestPage, selector: string): Promise<void> {
  await tp.page.click(selector, { timeout: 10_000 });
}

async function frame(tp: TestPage): Promise<Buffer> {
  const dataUrl = await tp.page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>("#mixed")!;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d")!.drawImage(video, 0, 0);
    return canvas.toDataURL("image/png");
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}

describeWithChromium("screen sharing, in real Chromium", () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  const out = mkdtempSync(join(tmpdir(), "tessera-screen-"));
  const recordings = mkdtempSync(join(tmpdir(), "tessera-screen-rec-"));
  const url = (name: string) => new URL(`/?room=${ROOM}&name=${encodeURIComponent(name)}`, server!.url).toString();
  const screen: FakeScreen = {
    quadrants: QUADRANTS,
    codes: [
      { value: COARSE_CODE, ...COARSE },
      { value: FINE_CODE, ...FINE },
    ],
    bits: BITS,
    x: CODE_X,
  };
  let ada: TestPage;
  let bo: TestPage;

  const grid = [
    { at: [0.25, 0.5] as const, rgb: TEAL },
    { at: [0.75, 0.5] as const, rgb: PURPLE },
  ];
  const presentation = [
    { at: onMix(0.25, 0.25), rgb: QUADRANTS[0] },
    { at: onMix(0.75, 0.25), rgb: QUADRANTS[1] },
    { at: onMix(0.75, 0.85), rgb: QUADRANTS[2] },
    { at: onMix(0.25, 0.85), rgb: QUADRANTS[3] },
    // The faces' column: two 256x144 tiles centred down the right fifth, Ada (first to join) on top.
    { at: [1152 / 1280, 288 / 720] as const, rgb: TEAL },
    { at: [1152 / 1280, 432 / 720] as const, rgb: PURPLE },
  ];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], recordingsDir: recordings });
    const [a, b] = await Promise.all([pool.launch(), pool.launch()]);
    // High-density screens: each page's box holds the full 1280x720 mix, where the regions are measured.
    ada = await pool.openPage(a, "Ada", undefined, { deviceScaleFactor: 2, viewport: { width: 1280, height: 800 } });
    bo = await pool.openPage(b, "Bo", undefined, { deviceScaleFactor: 2, viewport: { width: 1280, height: 800 } });
    await ada.page.addInitScript(colourCamera, { rgb: TEAL });
    await ada.page.addInitScript(fakeScreen, screen);
    await bo.page.addInitScript(colourCamera, { rgb: PURPLE });
    await bo.page.addInitScript(fakeScreen, screen);
    await ada.page.goto(url("Ada"));
    await waitConnected(ada);
    await bo.page.goto(url("Bo"));
    await waitConnected(bo);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
    rmSync(recordings, { recursive: true, force: true });
    console.log(`screen-share pictures in ${out}`);
  }, TEST_TIMEOUT_MS);

  it(
    "shows the shared screen large with the faces beside it, its bar codes readable in the mix, and records it so",
    async () => {
      await waitForMix(bo, grid, "the two-tile grid before sharing");
      await click(ada, "#record");
      const recordingId = await ada.page
        .waitForFunction(() => window.tessera.recording?.id, null, { timeout: 15_000 })
        .then((h) => h.jsonValue());
      const label = await ada.page.textContent("#share-screen");
      expect(label).toBe("Share screen");
      await click(ada, "#share-screen");
      const adaId = await ada.page.evaluate(() => window.tessera.id);
      await bo.page.waitForFunction((id) => window.tessera.screenSharer === id, adaId, { timeout: 15_000 });
      expect(await ada.page.textContent("#share-screen")).toBe("Stop sharing");
      // The sharer is asked for the size the screen is drawn at (the presentation's 1024x720 region).
      const screenTile = await ada.page
        .waitForFunction(() => window.tessera.lastScreenTile, null, { timeout: 15_000 })
        .then((h) => h.jsonValue());
      expect(screenTile).toMatchObject({ width: 1024, height: 720 });
      await waitForMix(bo, presentation, "the screen large on the left, the faces in a column on the right");
      // The codes, read from the mix Bo's page plays: the screen is decoded at the size it is drawn.
      let coarse: number | null = null;
      let fine: number | null = null;
      for (let i = 0; i < 40 && (coarse !== COARSE_CODE || fine !== FINE_CODE); i++) {
        coarse = await readCode(bo, COARSE);
        fine = await readCode(bo, FINE);
        if (coarse !== COARSE_CODE || fine !== FINE_CODE) await bo.page.waitForTimeout(250);
      }
      writeFileSync(join(out, "mix-presentation.png"), await frame(bo));
      expect(coarse?.toString(2), "the coarse code (32 px bars in the mix)").toBe(COARSE_CODE.toString(2));
      expect(fine?.toString(2), "the fine code (8 px bars in the mix)").toBe(FINE_CODE.toString(2));
      await bo.page.screenshot({ path: join(out, "page-presentation-desktop.png") });

      // A screen that does not change sends no frames: the mix keeps its last picture, not a name card.
      await ada.page.evaluate(() => ((window as unknown as { __screenStill: boolean }).__screenStill = true));
      await bo.page.waitForTimeout(3000);
      await waitForMix(bo, presentation, "a still screen held in the mix", 2000);
      await ada.page.evaluate(() => ((window as unknown as { __screenStill: boolean }).__screenStill = false));

      // The recording is the same mix: its last picture is the presentation too.
      await click(ada, "#record");
      await ada.page.waitForFunction(() => window.tessera.recording === null, null, { timeout: 15_000 });
      const recorded = lastRecordedPicture(
        join(recordings, `${recordingId}.webm`),
        presentation.map((p) => p.at),
      );
      presentation.forEach((p, i) =>
        expect(near(recorded[i], p.rgb), `recording at ${p.at.join(",")}: ${recorded[i].join(",")}`).toBe(true),
      );
      // Its timeline says when the share began.
      const timeline = readFileSync(join(recordings, `${recordingId}.timeline.jsonl`), "utf8");
      const shares = timeline
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string; participant?: unknown })
        .filter((l) => l.kind === "screen");
      expect(shares).toEqual([expect.objectContaining({ kind: "screen", participant: adaId })]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "shows the presentation on a phone held upright: the screen on top, the faces under it",
    async () => {
      const phone = await pool.openPage(pool.browsers[1], "Phone", undefined, PHONE);
      await phone.page.goto(new URL(`/?room=${ROOM}&name=Pat&role=viewer`, server!.url).toString());
      await waitConnected(phone);
      // The portrait presentation: the screen across the top 60 %, letterboxed; faces in a grid below.
      await phone.page.waitForFunction(
        () => {
          const v = document.querySelector<HTMLVideoElement>("#mixed");
          return v !== null && v.videoHeight > v.videoWidth;
        },
        null,
        { timeout: 30_000, polling: 200 },
      );
      // On a 9:16 mix the 16:9 screen, as wide as the mix, is (9/16)^2 of its height, centred in the top 60 %.
      const drawn = 81 / 256;
      const top = (0.6 - drawn) / 2;
      await waitForMix(
        phone,
        [
          { at: [0.25, top + 0.25 * drawn], rgb: QUADRANTS[0] },
          { at: [0.75, top + 0.25 * drawn], rgb: QUADRANTS[1] },
          { at: [0.25, 0.8], rgb: TEAL },
          { at: [0.75, 0.8], rgb: PURPLE },
        ],
        "the upright presentation",
      );
      await phone.page.waitForTimeout(1000);
      await phone.page.screenshot({ path: join(out, "page-presentation-phone.png") });
      writeFileSync(join(out, "mix-presentation-phone.png"), await frame(phone));
      await phone.context.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses a second share, naming the sharer; the first one stays",
    async () => {
      await click(bo, "#share-screen");
      const error = await bo.page.waitForFunction(() => window.tessera.error, null, { timeout: 15_000 }).then((h) => h.jsonValue());
      expect(error).toMatch(/Ada is already sharing a screen/);
      await bo.page.waitForFunction(() => !window.tessera.sharing, null, { timeout: 5_000 });
      expect(await bo.page.textContent("#share-screen")).toBe("Share screen");
      await waitForMix(bo, presentation, "Ada's screen still shown");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "brings the grid back when the sharer presses the button, when the browser stops the share, and when the sharer leaves",
    async () => {
      await click(ada, "#share-screen");
      await bo.page.waitForFunction(() => window.tessera.screenSharer === null, null, { timeout: 15_000 });
      await waitForMix(bo, grid, "the grid after the button");

      await click(ada, "#share-screen");
      await waitForMix(bo, presentation, "sharing again");
      // The browser's own "Stop sharing" ends the captured track.
      await ada.page.evaluate(() => {
        const stream = (window as unknown as { __screens: MediaStream[] }).__screens.at(-1)!;
        const track = stream.getVideoTracks()[0];
        track.stop();
        track.dispatchEvent(new Event("ended"));
      });
      await bo.page.waitForFunction(() => window.tessera.screenSharer === null, null, { timeout: 15_000 });
      await waitForMix(bo, grid, "the grid after the browser stopped the share");
      expect(await ada.page.textContent("#share-screen")).toBe("Share screen");

      await click(ada, "#share-screen");
      await waitForMix(bo, presentation, "sharing a third time");
      await click(ada, "#leave");
      await bo.page.waitForFunction(() => window.tessera.screenSharer === null, null, { timeout: 15_000 });
      // Bo alone fills the picture.
      await waitForMix(
        bo,
        [
          { at: [0.25, 0.5], rgb: PURPLE },
          { at: [0.75, 0.5], rgb: PURPLE },
        ],
        "Bo alone after the sharer left",
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "with SCREEN_SHARE_POLICY=takeover a second share replaces the first: the first sharer's page stops its capture",
    async () => {
      const takeover = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], screenSharePolicy: "takeover" });
      try {
        const at = (name: string) => new URL(`/?room=screen-takeover&name=${encodeURIComponent(name)}`, takeover.url).toString();
        await ada.page.goto(at("Ada"));
        await waitConnected(ada);
        await bo.page.goto(at("Bo"));
        await waitConnected(bo);
        const [adaId, boId] = [await ada.page.evaluate(() => window.tessera.id), await bo.page.evaluate(() => window.tessera.id)];
        await click(ada, "#share-screen");
        await bo.page.waitForFunction((id) => window.tessera.screenSharer === id, adaId, { timeout: 15_000 });
        await waitForMix(bo, presentation, "Ada's screen");
        await click(bo, "#share-screen");
        await ada.page.waitForFunction((id) => window.tessera.screenSharer === id && !window.tessera.sharing, boId, { timeout: 15_000 });
        expect(await ada.page.textContent("#share-screen")).toBe("Share screen");
        expect(await bo.page.evaluate(() => window.tessera.sharing)).toBe(true);
        // Ada's capture stopped with her share; Bo's screen (the same picture) is what the mix shows now.
        expect(
          await ada.page.evaluate(
            () => (window as unknown as { __screens: MediaStream[] }).__screens.at(-1)!.getVideoTracks()[0].readyState,
          ),
        ).toBe("ended");
        await waitForMix(ada, presentation, "Bo's screen in Ada's mix");
      } finally {
        await ada.page.goto("about:blank");
        await bo.page.goto("about:blank");
        await takeover.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "SFU room: the others get the screen as a stream of its own, shown first and across the grid, gone when the share stops",
    async () => {
      const sfuUrl = (name: string) => new URL(`/?room=screen-sfu&mode=sfu&name=${encodeURIComponent(name)}`, server!.url).toString();
      await ada.page.goto(sfuUrl("Ada"));
      await waitConnected(ada);
      await bo.page.goto(sfuUrl("Bo"));
      await waitConnected(bo);
      await click(ada, "#share-screen");
      const adaId = await ada.page.evaluate(() => window.tessera.id);
      const selector = `#remotes .remote[data-screen="true"][data-id="screen:${adaId}"] video`;
      const quadrants: [number, number][] = [
        [0.25, 0.25],
        [0.75, 0.25],
        [0.75, 0.75],
        [0.25, 0.75],
      ];
      let seen: Rgb[] | null = null;
      for (let i = 0; i < 120; i++) {
        seen = await sampleVideo(bo, selector, quadrants);
        if (seen && seen.every((rgb, k) => near(rgb, QUADRANTS[k]))) break;
        await bo.page.waitForTimeout(250);
      }
      expect(seen, `Ada's screen on Bo's page: ${await describePage(bo)}`).not.toBeNull();
      seen!.forEach((rgb, k) => expect(near(rgb, QUADRANTS[k]), `quadrant ${k}: ${rgb.join(",")}`).toBe(true));
      expect(await bo.page.textContent(`#remotes .remote[data-screen="true"] .remote-name`)).toBe("Ada's screen");
      // The screen's sound (a tab's) comes with it, on the screen's own stream (polled with evaluate, which awaits
      // the stats; waitForFunction would take the predicate's promise itself as true).
      const screenAudioPackets = () =>
        bo.page.evaluate(async (sel) => {
          const stream = document.querySelector<HTMLVideoElement>(sel)?.srcObject as MediaStream | null;
          const track = stream?.getAudioTracks()[0];
          let packets = 0;
          for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs)
            for (const receiver of pc.getReceivers()) {
              if (!track || receiver.track !== track) continue;
              for (const s of (await receiver.getStats()).values()) if (s.type === "inbound-rtp") packets += Number(s.packetsReceived ?? 0);
            }
          return packets;
        }, selector);
      let heard = false;
      for (let i = 0; i < 60 && !heard; i++) {
        heard = (await screenAudioPackets()) > 50;
        if (!heard) await bo.page.waitForTimeout(250);
      }
      expect(heard, `the screen's sound reaches Bo: ${await describePage(bo)}`).toBe(true);
      await bo.page.screenshot({ path: join(out, "page-sfu-screen.png") });
      await click(ada, "#share-screen");
      await bo.page.waitForFunction((sel) => document.querySelector(sel) === null, selector.replace(" video", ""), { timeout: 15_000 });
    },
    TEST_TIMEOUT_MS,
  );
});
