// End-to-end, real Chromium: a Korean name in a Korean room, as the page's own mixed video shows it, and
// the page marking who is speaking from the server's `speaker` messages.

import { afterAll, beforeAll, expect, it } from "vitest";
import { labelInset } from "../../mixer/video/compositor.js";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { LabelRenderer } from "../../mixer/video/labelRenderer.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { inkSimilarity, referenceText, type Luma } from "../helpers/glyphs.js";
import { TestClient } from "../helpers/testClient.js";

const TEST_TIMEOUT_MS = 60_000;
const ROOM = "모의면접";

describeWithChromium("names in the mix, in real Chromium", () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  let kim: TestPage;
  let loud: TestClient | undefined;
  const labels = new LabelRenderer({ outputHeight: 720, font: resolveLabelFont(undefined) });

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    // A high-density screen: the page's box holds the full 1280x720 mix, the size the labels are compared at.
    kim = await pool.openPage(await pool.launch(), "김민수", undefined, { deviceScaleFactor: 2 });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await loud?.close();
    await pool.closeAll();
    await server?.close();
  }, TEST_TIMEOUT_MS);

  it(
    'draws "김민수" with Hangul glyphs in the mix the page plays, and marks the talking participant',
    async () => {
      await kim.page.goto(new URL(`/?room=${encodeURIComponent(ROOM)}&name=${encodeURIComponent("김민수")}`, server!.url).toString());
      await waitConnected(kim);
      // A second sender, talking loudly the whole time: the speaker, on the right of the two-tile grid.
      loud = new TestClient({ url: server!.url, room: ROOM, name: "Loud", colour: "red", toneHz: 440, toneAmplitude: 12_000 });
      await loud.connect();
      const loudId = loud.id;
      const marked = await kim.page
        .waitForFunction(
          (id) => window.tessera.speaker === id && document.querySelector(`#participants li.speaking[data-id="${id}"]`) !== null,
          loudId,
          { timeout: 15_000, polling: 100 },
        )
        .then(() => true)
        .catch(() => false);
      expect(marked, `the page marks Loud as speaking: ${await describePage(kim)}`).toBe(true);

      // Kim's tile is the left half (0,0 640x720); the label sits at its foot, inside the highlight's edge.
      const tile = { x: 0, y: 0, width: 640, height: 720 };
      const o = labels.tileLabel("김민수", false, tile.width - 2 * labelInset(tile))!;
      const inset = labelInset(tile);
      const region = { x: inset, y: tile.height - inset - o.height, width: o.width, height: o.height };
      const reference = referenceText("김민수", labels.cssFont());
      let best = 0;
      for (let i = 0; i < 20 && best < 0.9; i++) {
        const luma = await kim.page.evaluate((r) => {
          const video = document.querySelector<HTMLVideoElement>("video#mixed")!;
          if (video.videoWidth !== 1280) return null;
          const canvas = document.createElement("canvas");
          canvas.width = r.width;
          canvas.height = r.height;
          const ctx = canvas.getContext("2d")!;
          ctx.drawImage(video, r.x, r.y, r.width, r.height, 0, 0, r.width, r.height);
          const rgba = ctx.getImageData(0, 0, r.width, r.height).data;
          return Array.from({ length: r.width * r.height }, (_, i) =>
            Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]),
          );
        }, region);
        if (luma) {
          const l: Luma = { width: region.width, height: region.height, data: Uint8Array.from(luma) };
          best = Math.max(best, inkSimilarity(l, reference));
          // The same pixels must not pass for "???" (what the bitmap font drew).
          expect(inkSimilarity(l, referenceText("???", labels.cssFont()))).toBeLessThan(0.5);
        }
        await kim.page.waitForTimeout(500);
      }
      if (process.env.PAGE_SCREENSHOT) await kim.page.screenshot({ path: process.env.PAGE_SCREENSHOT, fullPage: true });
      expect(best, `the label in the page's mix matches "김민수" drawn by Skia: ${await describePage(kim)}`).toBeGreaterThan(0.9);
    },
    TEST_TIMEOUT_MS,
  );
});
