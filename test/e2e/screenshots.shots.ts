// The client's screenshots in docs/images (docs/client.md shows them):
//   npx vitest run --config test/e2e/screenshots.config.ts          (SCENES=prejoin,call for some of them)
// Real Chromium with fake devices against a server started in-process (MAX_SENDERS 2, so a third sender meets a full room).

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContextOptions, Page } from "playwright-core";
import { it } from "vitest";
import { startServer } from "../../src/server.js";
import { BrowserPool, waitConnected, type TestPage } from "../helpers/chromium.js";

const OUT = join(import.meta.dirname, "../../docs/images");
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const PHONE_LANDSCAPE: BrowserContextOptions = { ...PHONE, viewport: { width: 844, height: 390 } };

const only = (process.env.SCENES ?? "").split(",").filter(Boolean);
it("takes the screenshots", async () => {
  mkdirSync(OUT, { recursive: true });
  const recordingsDir = mkdtempSync(join(tmpdir(), "tessera-shots-"));
  const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], maxSenders: 2, recordingsDir });
  const pool = new BrowserPool();
  const url = (q: string) => new URL(`/?${q}`, server.url).toString();

  async function shot(page: Page, name: string): Promise<void> {
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(OUT, `client-${name}.png`) });
    console.log(`docs/images/client-${name}.png`);
  }

  async function waitPreview(tp: TestPage): Promise<void> {
    await tp.page.waitForFunction(() => document.querySelector("#preview-box")?.getAttribute("data-camera") !== "starting", null, {
      timeout: 15_000,
    });
  }

  const wanted = (scene: string) => only.length === 0 || only.includes(scene);

  try {
    const [a, b] = await Promise.all([pool.launch(), pool.launch()]);
    for (const [size, options] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      if (wanted("prejoin")) {
        const tp = await pool.openPage(a, "prejoin", undefined, options);
        await tp.page.goto(url("room=interview"));
        await waitPreview(tp);
        await tp.page.fill("#name-input", "Alice");
        await shot(tp.page, `prejoin-${size}`);
        await tp.context.close();
      }
      if (wanted("korean")) {
        const tp = await pool.openPage(a, "korean", undefined, options);
        await tp.page.goto(url("room=interview"));
        await waitPreview(tp);
        await tp.page.selectOption("#lang-select", "ko");
        await tp.page.fill("#name-input", "김민수");
        await shot(tp.page, `korean-prejoin-${size}`);
        await tp.context.close();
      }
      if (wanted("alone")) {
        const tp = await pool.openPage(a, "alone", undefined, options);
        await tp.page.goto(url(`room=alone-${size}&name=Alice`));
        await waitConnected(tp);
        await shot(tp.page, `alone-${size}`);
        await tp.context.close();
      }
      if (wanted("call") || wanted("full") || wanted("landscape")) {
        const room = `call-${size}`;
        const alice = await pool.openPage(a, "alice", undefined, options);
        const kim = await pool.openPage(b, "kim", undefined, { ...DESKTOP, locale: "ko-KR" });
        await alice.page.goto(url(`room=${room}&name=Alice`));
        await kim.page.goto(url(`room=${room}&name=${encodeURIComponent("김민수")}`));
        await Promise.all([waitConnected(alice), waitConnected(kim)]);
        await alice.page.waitForTimeout(2500);
        if (wanted("call")) await shot(alice.page, `call-${size}`);
        if (wanted("call") && size === "desktop") {
          // 김민수 records: everyone's REC says who started it.
          await kim.page.click("#record");
          await alice.page.waitForFunction(() => document.querySelector<HTMLElement>("#rec")?.hidden === false, null, { timeout: 10_000 });
          await shot(kim.page, "korean-call-desktop");
          await shot(alice.page, "recording-desktop");
          await kim.page.click("#record");
        }
        if (wanted("full")) {
          const third = await pool.openPage(a, "third", undefined, options);
          await third.page.goto(url(`room=${room}&name=Carol`));
          await third.page.waitForFunction(
            () => document.querySelector("#join-as-viewer") && !(document.querySelector("#join-as-viewer") as HTMLElement).hidden,
            null,
            { timeout: 15_000 },
          );
          await shot(third.page, `full-${size}`);
          await third.context.close();
        }
        if (size === "phone" && wanted("landscape")) {
          const kimPhone = await pool.openPage(b, "kim-phone", undefined, { ...PHONE, locale: "ko-KR" });
          await kimPhone.page.goto(url(`room=${room}&name=${encodeURIComponent("이서연")}&role=viewer`));
          await waitConnected(kimPhone);
          await shot(kimPhone.page, "korean-call-phone");
          await kimPhone.context.close();
        }
        await Promise.all([alice.context.close(), kim.context.close()]);
      }
    }
    if (wanted("landscape")) {
      // A sender on a phone on its side, with someone else in the room.
      const side = await pool.openPage(a, "landscape", undefined, PHONE_LANDSCAPE);
      const other = await pool.openPage(b, "other", undefined, DESKTOP);
      await side.page.goto(url("room=landscape&name=Dana"));
      await other.page.goto(url("room=landscape&name=Erin"));
      await Promise.all([waitConnected(side), waitConnected(other)]);
      await side.page.waitForTimeout(2000);
      await shot(side.page, "phone-landscape");
      await side.page.click("#self-toggle");
      await shot(side.page, "phone-landscape-self");
      await Promise.all([side.context.close(), other.context.close()]);
    }
    if (wanted("viewer")) {
      const tp = await pool.openPage(a, "viewer", undefined, DESKTOP);
      await tp.page.goto(url("room=empty&name=Vic&role=viewer"));
      await waitConnected(tp);
      await shot(tp.page, "viewer-alone-desktop");
      await tp.context.close();
    }
    if (wanted("404")) {
      const tp = await pool.openPage(a, "404", undefined, PHONE);
      await tp.page.goto(new URL("/no-such-page", server.url).toString());
      await shot(tp.page, "404-phone");
      await tp.context.close();
    }
  } finally {
    await pool.closeAll();
    await server.close();
    rmSync(recordingsDir, { recursive: true, force: true });
  }
});
