// A phone held upright in real Chromium (390x844, pixel ratio 2): the page reports its box, the server sends
// it an upright mix no larger than that, and the picture fills most of the screen's width and height; turned
// on its side, the page gets a landscape mix again. The page and the mixed picture are saved as PNGs (the
// path is printed) for a person to look at.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { McuPeer } from "../../src/peers/mcuPeer.js";
import { realRoomMedia } from "../../src/rooms/roomMedia.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 120_000;
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** The mixed picture as drawn: the video's frame fitted (contain) into the element's box, in CSS pixels. */
async function shownPicture(tp: TestPage) {
  return tp.page.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>("#mixed")!;
    const box = video.getBoundingClientRect();
    const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
    return {
      viewport: { width: window.innerWidth, height: window.innerHeight },
      video: { width: video.videoWidth, height: video.videoHeight },
      picture: { width: video.videoWidth * scale, height: video.videoHeight * scale },
      mix: window.tessera.mix,
      display: window.tessera.display,
    };
  });
}

/** The frame the page shows now, as a PNG. */
async function mixedFrame(tp: TestPage): Promise<Buffer> {
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

function portraitSuite(): void {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  const url = (q: string) => new URL(`/?${q}`, server!.url).toString();
  const out = mkdtempSync(join(tmpdir(), "tessera-portrait-"));

  /** The server's peers in creation order (one per join): the link estimate is emitted on them. */
  const serverPeers: McuPeer[] = [];

  beforeAll(async () => {
    vi.spyOn(realRoomMedia, "mcuPeer").mockImplementation((config) => {
      const peer = new McuPeer(config);
      serverPeers.push(peer);
      return peer;
    });
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    await Promise.all([pool.launch(), pool.launch()]);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
    vi.restoreAllMocks();
  }, TEST_TIMEOUT_MS);

  it(
    "a 390x844 page gets an upright mix that fills most of its width and height, and a landscape one when turned",
    async () => {
      const [a, b] = pool.browsers;
      const desk = await pool.openPage(a, "Desk");
      await desk.page.goto(url(`room=upright&name=${encodeURIComponent("김민수")}`));
      await waitConnected(desk);
      const phone = await pool.openPage(b, "Phone", undefined, PHONE);
      await phone.page.goto(url("room=upright&name=Pat"));
      await waitConnected(phone);

      await phone.page
        .waitForFunction(
          () => {
            const v = document.querySelector<HTMLVideoElement>("#mixed");
            return (
              window.tessera.mix?.paused === false &&
              window.tessera.mix.height > window.tessera.mix.width &&
              v !== null &&
              v.videoHeight > v.videoWidth
            );
          },
          null,
          { timeout: 30_000, polling: 200 },
        )
        .catch(async () => {
          throw new Error(`no upright mix: ${JSON.stringify(await shownPicture(phone))} ${await describePage(phone)}`);
        });
      await phone.page.waitForTimeout(1500);
      const upright = await shownPicture(phone);
      expect(upright.display).toMatchObject({ orientation: "portrait", pixelRatio: 2 });
      // No larger than the box in device pixels: 540x960 at most for a 390 px wide box at 2x.
      expect(upright.video.width).toBeLessThanOrEqual(upright.display!.width * 2 * 1.15);
      expect(upright.video.height).toBeLessThanOrEqual(upright.display!.height * 2 * 1.15);
      expect(upright.picture.width / upright.viewport.width, JSON.stringify(upright)).toBeGreaterThanOrEqual(0.9);
      expect(upright.picture.height / upright.viewport.height, JSON.stringify(upright)).toBeGreaterThanOrEqual(0.6);
      // Every control of the call is on the screen, not below the fold.
      const offScreen = await phone.page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".controls button")]
          .filter((b) => b.offsetParent !== null)
          .map((b) => ({
            id: b.id,
            bottom: Math.round(b.getBoundingClientRect().bottom),
            right: Math.round(b.getBoundingClientRect().right),
          }))
          .filter((b) => b.bottom > window.innerHeight || b.right > window.innerWidth),
      );
      expect(offScreen, "controls below or beside the screen").toEqual([]);
      await phone.page.screenshot({ path: join(out, "page-upright.png") });
      writeFileSync(join(out, "mix-upright.png"), await mixedFrame(phone));

      await phone.page.setViewportSize({ width: 844, height: 390 });
      await phone.page
        .waitForFunction(
          () => {
            const v = document.querySelector<HTMLVideoElement>("#mixed");
            return (
              window.tessera.mix !== null &&
              window.tessera.mix.width > window.tessera.mix.height &&
              v !== null &&
              v.videoWidth > v.videoHeight
            );
          },
          null,
          { timeout: 30_000, polling: 200 },
        )
        .catch(async () => {
          throw new Error(`no landscape mix after turning: ${JSON.stringify(await shownPicture(phone))} ${await describePage(phone)}`);
        });
      await phone.page.waitForTimeout(1500);
      const side = await shownPicture(phone);
      expect(side.display).toMatchObject({ orientation: "landscape" });
      expect(side.picture.height / side.viewport.height, JSON.stringify(side)).toBeGreaterThanOrEqual(0.9);
      await phone.page.screenshot({ path: join(out, "page-side.png") });
      writeFileSync(join(out, "mix-side.png"), await mixedFrame(phone));

      // A link too weak for the smallest rung: the page says the video paused, and it comes back by itself.
      const phonePeer = serverPeers[1];
      // The weak link stands in for the real one (loopback): its estimates replace the real ones for a while (the
      // pause needs 2 s below the lowest rung running), and it fails the probe the server runs before pausing.
      const realEmit = phonePeer.emit.bind(phonePeer);
      const weakLink = { availableBps: 60_000, lossFraction: 0.2, rttMs: 300 };
      phonePeer.emit = ((event: string, ...args: unknown[]) =>
        event === "link" ? realEmit("link", weakLink) : realEmit(event as "connected", ...(args as []))) as typeof phonePeer.emit;
      phonePeer.probeLink = async () => ({ ok: false, deliveredBps: 50_000, sentBps: 230_000, reason: "loss" });
      const weak = setInterval(() => phonePeer.emit("link", weakLink), 500);
      try {
        await phone.page.waitForFunction(
          () => window.tessera.mix?.paused === true && document.querySelector<HTMLElement>("#mix-paused")?.hidden === false,
          null,
          { timeout: 15_000, polling: 200 },
        );
      } finally {
        clearInterval(weak);
        delete (phonePeer as Partial<Pick<McuPeer, "probeLink" | "emit">>).probeLink;
        delete (phonePeer as Partial<Pick<McuPeer, "probeLink" | "emit">>).emit;
      }
      const notice = await phone.page.evaluate(() => document.querySelector("#mix-paused")?.textContent ?? "");
      expect(notice).toMatch(/paused/i);
      await phone.page.screenshot({ path: join(out, "page-paused.png") });
      const good = setInterval(() => phonePeer.emit("link", { availableBps: 5_000_000, lossFraction: 0, rttMs: 40 }), 500);
      try {
        await phone.page.waitForFunction(
          () => window.tessera.mix?.paused === false && document.querySelector<HTMLElement>("#mix-paused")?.hidden === true,
          null,
          { timeout: 20_000, polling: 200 },
        );
      } finally {
        clearInterval(good);
      }
      console.log(`portrait screenshots in ${out}`);
    },
    TEST_TIMEOUT_MS,
  );
}

describeWithChromium("an upright phone's mix (Chromium)", portraitSuite);
