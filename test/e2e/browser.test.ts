// End-to-end: real Chromium (Debian's /usr/bin/chromium driven by playwright-core) against the server
// started in-process. Two senders with Chromium's fake camera join one room and must both see a
// 1280x720 mixed picture with two live tiles; a viewer must connect without ever asking for a camera.

import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AppliedTile } from "../../client/tile.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, CONNECT_TIMEOUT_MS, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 60_000;
const OUTPUT = { width: 1280, height: 720 };
/** How long a playing mixed video may take to show 0.5 s of progress and 5 new frames on a busy machine. */
const PLAYING_DEADLINE_MS = 15_000;

interface HalfStats {
  meanLuma: number;
  /** Share of pixels with luma >= BRIGHT_LUMA. */
  brightShare: number;
}

// Chromium's fake camera is a green test card (background luma ~75, brighter shapes); the server draws a
// participant without video as a dark grey card (#303030, luma 48) with a name. A tile holding the
// camera picture is bright over most of its area even when letterboxed (4:3 in a 640x720 tile fills
// two thirds); a name card is bright only where its text is. Counting bright pixels separates the two
// far more robustly than the mean (which letterbox bars pull down towards a dark card's mean).
const BRIGHT_LUMA = 60;
const LIVE_SHARE = 0.3;

let server: Awaited<ReturnType<typeof startServer>> | undefined;
const pool = new BrowserPool();

function roomUrl(query: string): string {
  if (!server) throw new Error("server not started");
  return new URL(`/?${query}`, server.url).toString();
}

/** The mixed video is 1280x720, playing, its clock advancing and new frames being decoded. */
async function expectMixedPlaying(tp: TestPage): Promise<void> {
  const sized = await tp.page
    .waitForFunction(
      ({ width, height }) => {
        const v = document.querySelector<HTMLVideoElement>("video#mixed");
        return v !== null && v.videoWidth === width && v.videoHeight === height;
      },
      OUTPUT,
      { timeout: CONNECT_TIMEOUT_MS, polling: 200 },
    )
    .then(() => true)
    .catch(() => false);
  const size = await tp.page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>("video#mixed");
    return v ? `${v.videoWidth}x${v.videoHeight}` : "no video#mixed";
  });
  expect(sized, `video#mixed should be ${OUTPUT.width}x${OUTPUT.height}, is ${size}: ${await describePage(tp)}`).toBe(true);

  // Playing means the clock advances and new frames are decoded; how many a second depends on how busy
  // the machine is (a viewer decoded 3 in 1.5 s under load), so wait for 5 frames and 0.5 s of media
  // time with a generous deadline. A stalled or paused video gets neither, however long we wait.
  const progress = await tp.page.evaluate(async (deadlineMs) => {
    const v = document.querySelector<HTMLVideoElement>("video#mixed")!;
    const t0 = v.currentTime;
    const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
    const until = performance.now() + deadlineMs;
    const moved = () => v.currentTime - t0 > 0.5 && v.getVideoPlaybackQuality().totalVideoFrames - f0 > 5;
    while (!moved() && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
    return {
      paused: v.paused,
      muted: v.muted,
      advanced: v.currentTime - t0,
      frames: v.getVideoPlaybackQuality().totalVideoFrames - f0,
      audioTracks: v.srcObject instanceof MediaStream ? v.srcObject.getAudioTracks().length : -1,
    };
  }, PLAYING_DEADLINE_MS);
  expect(progress.paused, "video#mixed is paused").toBe(false);
  expect(progress.advanced, `video#mixed currentTime did not advance 0.5 s in ${PLAYING_DEADLINE_MS / 1000} s`).toBeGreaterThan(0.5);
  expect(progress.frames, `video#mixed decoded no more than 5 new frames in ${PLAYING_DEADLINE_MS / 1000} s`).toBeGreaterThan(5);
  expect(progress.audioTracks, "the mixed stream carries one audio track").toBe(1);
  expect(progress.muted, "video#mixed must not be muted: it carries the mixed audio").toBe(false);
}

/** Draws the current mixed frame into a canvas in the page and measures its left and right halves. */
function sampleHalves(page: Page): Promise<HalfStats[]> {
  return page.evaluate((brightLuma) => {
    const video = document.querySelector<HTMLVideoElement>("video#mixed")!;
    const width = 320;
    const height = 180;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    ctx.drawImage(video, 0, 0, width, height);
    const data = ctx.getImageData(0, 0, width, height).data;
    const halves = [
      { sum: 0, bright: 0, n: 0 },
      { sum: 0, bright: 0, n: 0 },
    ];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
        const half = halves[x < width / 2 ? 0 : 1];
        half.sum += luma;
        half.n += 1;
        if (luma >= brightLuma) half.bright += 1;
      }
    }
    return halves.map((h) => ({ meanLuma: h.sum / h.n, brightShare: h.bright / h.n }));
  }, BRIGHT_LUMA);
}

const isLive = (h: HalfStats) => h.brightShare >= LIVE_SHARE;

/** Passes when, in one of up to 12 samples over ~6 s, both halves show live camera video. */
async function expectTwoLiveTiles(tp: TestPage): Promise<void> {
  const samples: HalfStats[][] = [];
  for (let i = 0; i < 12; i++) {
    const halves = await sampleHalves(tp.page);
    samples.push(halves);
    if (halves.every(isLive)) return;
    await tp.page.waitForTimeout(500);
  }
  const shown = samples
    .map((s) => s.map((h) => `luma ${h.meanLuma.toFixed(0)} bright ${(h.brightShare * 100).toFixed(0)}%`).join(" | "))
    .join("\n");
  throw new Error(
    `the mixed picture never showed live video in both halves (left | right; live = at least ${LIVE_SHARE * 100}% ` +
      `of pixels with luma >= ${BRIGHT_LUMA}):\n${shown}\n${await describePage(tp)}`,
  );
}

/**
 * A laptop's high-density screen: the page's box for the mix holds 1280x720 device pixels, so the server
 * sends the full-size mix (a box of fewer device pixels gets a smaller rendition, docs/protocol.md `display`).
 */
const HIGH_DENSITY = { deviceScaleFactor: 2 };

function e2eSuite(): void {
  let alice: TestPage;
  let bob: TestPage;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    const [browserA, browserB] = await Promise.all([pool.launch(), pool.launch()]);
    alice = await pool.openPage(browserA, "Alice", undefined, HIGH_DENSITY);
    bob = await pool.openPage(browserB, "Bob", undefined, HIGH_DENSITY);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
  }, TEST_TIMEOUT_MS);

  it(
    "two senders connect and both see a 1280x720 mixed picture with two live tiles",
    async () => {
      await alice.page.goto(roomUrl("room=e2e&name=Alice"));
      await bob.page.goto(roomUrl("room=e2e&name=Bob"));
      await Promise.all([waitConnected(alice), waitConnected(bob)]);
      const shown = await alice.page.evaluate(() => ({
        mode: window.tessera.mode,
        label: document.querySelector("#mode")?.textContent,
        dataMode: document.querySelector("#mode")?.getAttribute("data-mode"),
        remotesHidden: document.querySelector<HTMLElement>("#remotes")?.hidden,
      }));
      expect(shown, "a room without a mode is an MCU, shown as such").toEqual({
        mode: "mcu",
        label: "Mixed",
        dataMode: "mcu",
        remotesHidden: true,
      });

      for (const tp of [alice, bob]) {
        await expect
          .poll(() => tp.page.locator("ul#participants li").allTextContents(), { timeout: 10_000 })
          .toEqual(expect.arrayContaining([expect.stringContaining("Alice"), expect.stringContaining("Bob")]));
      }
      await Promise.all([expectMixedPlaying(alice), expectMixedPlaying(bob)]);
      await expectTwoLiveTiles(alice);
      await expectTwoLiveTiles(bob);
      // Chromium stamps its audio packets with its microphone's level (RFC 6464) once the server negotiates
      // it: what lets the MCU leave a quiet browser's audio undecoded.
      const audio = () => server!.rooms.all()[0]?.capabilities.mix?.mediaStats.audio;
      await expect.poll(() => audio()?.inputsWithLevels, { timeout: 5_000 }).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "applies the server's tile size and bitrate to the camera sender",
    async () => {
      for (const tp of [alice, bob]) {
        const handle = await tp.page.waitForFunction(() => window.tessera?.lastTile ?? false, null, { timeout: 15_000 }).catch(() => null);
        expect(handle, `no tile was applied: ${await describePage(tp)}`).not.toBeNull();
        const tile = (await handle!.jsonValue()) as AppliedTile;
        expect(tile.width).toBeGreaterThan(0);
        expect(tile.height).toBeGreaterThan(0);
        expect(tile.maxBitrate).toBeGreaterThan(0);
        expect(tile.scaleResolutionDownBy).toBeCloseTo(
          Math.max(1, Math.min(tile.captureWidth / tile.width, tile.captureHeight / tile.height)),
          5,
        );
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a viewer connects and plays the mix without ever calling getUserMedia",
    async () => {
      const viewer = await pool.openPage(
        pool.browsers[0],
        "Viewer",
        () => {
          const w = window as unknown as { __getUserMediaCalls: number };
          w.__getUserMediaCalls = 0;
          const devices = navigator.mediaDevices;
          if (devices) {
            const original = devices.getUserMedia.bind(devices);
            devices.getUserMedia = (constraints) => {
              w.__getUserMediaCalls += 1;
              return original(constraints);
            };
          }
        },
        HIGH_DENSITY,
      );
      await viewer.page.goto(roomUrl("room=e2e&name=Victor&role=viewer"));
      await waitConnected(viewer);
      await expectMixedPlaying(viewer);

      const seen = await viewer.page.evaluate(() => ({
        calls: (window as unknown as { __getUserMediaCalls: number }).__getUserMediaCalls,
        selfHidden: document.querySelector<HTMLVideoElement>("video#self")?.hidden ?? true,
        selfStream: document.querySelector<HTMLVideoElement>("video#self")?.srcObject != null,
        role: window.tessera.role,
      }));
      expect(seen.calls, "a viewer must not call getUserMedia").toBe(0);
      expect(seen.selfHidden, "the self-view is hidden for viewers").toBe(true);
      expect(seen.selfStream, "a viewer has no local stream").toBe(false);
      expect(seen.role).toBe("viewer");
      // The senders' picture is unchanged for them: viewers get no tile.
      await expectTwoLiveTiles(viewer);
    },
    TEST_TIMEOUT_MS,
  );
}

describeWithChromium("browser e2e (real Chromium)", e2eSuite);
