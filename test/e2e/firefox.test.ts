// End-to-end with a second browser engine: Debian's Firefox ESR (puppeteer-core over WebDriver BiDi) and Debian's
// Chromium (playwright-core) in one room, in each room mode. Each paints its camera one colour (red for Firefox,
// blue for Chromium): seeing the other is finding their colour in what the page plays (the MCU's mix, or the
// other's own video in SFU and mesh). Hearing is judged from getStats (the audio energy of what arrived), the
// same way in both engines: Firefox's AudioContext stays suspended on a machine without a sound device. Then the
// Firefox tab joins the same room as a viewer and must see and hear Chromium.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomMode } from "../../protocol/messages.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, chromiumEvaluate, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import {
  describeFirefoxPage,
  describeWithFirefox,
  firefoxEvaluate,
  FirefoxPool,
  waitFirefoxConnected,
  type FirefoxPage,
} from "../helpers/firefox.js";
import { colourCamera, inboundStreams, waitForColour, type Evaluate, type InboundStream, type Rgb } from "../helpers/pageMedia.js";

const TEST_TIMEOUT_MS = 150_000;
const RED: Rgb = [220, 40, 40];
const BLUE: Rgb = [40, 60, 220];
/** Colours survive the codec and the mixer's scaling within this, per channel. */
const TOLERANCE = 60;
/** A tile (4:3 in a 640x720 half of the mix) or a remote video in the colour covers well over this. */
const SEEN_SHARE = 0.25;
/** Mean square amplitude of what arrived: silence (or comfort noise) is far below; a tone or beep above. */
const HEARD_POWER = 1e-5;

/** One participant's page, whichever browser drives it. */
interface Participant {
  readonly who: string;
  readonly evaluate: Evaluate;
  readonly describe: () => Promise<string>;
}

let server: Awaited<ReturnType<typeof startServer>> | undefined;
const chromiumPool = new BrowserPool();
const firefoxPool = new FirefoxPool();

function roomUrl(query: string): string {
  if (!server) throw new Error("server not started");
  return new URL(`/?${query}`, server.url).toString();
}

const onChromium = (tp: TestPage, who: string): Participant => ({ who, evaluate: chromiumEvaluate(tp), describe: () => describePage(tp) });
const onFirefox = (fp: FirefoxPage, who: string): Participant => ({
  who,
  evaluate: firefoxEvaluate(fp),
  describe: () => describeFirefoxPage(fp),
});

/** The <video> a participant sees `other` in: the mix in an MCU room, the other's own video otherwise. */
function videoOf(mode: RoomMode, other: string): string {
  return mode === "mcu" ? "video#mixed" : `#remotes video[data-name="${other}"]`;
}

/** Within 30 s, `rgb` covers SEEN_SHARE of a half of the picture `p` plays of `other` (in an MCU room, a tile). */
async function expectSees(p: Participant, mode: RoomMode, other: string, rgb: Rgb): Promise<void> {
  const query = { selector: videoOf(mode, other), rgb, tolerance: TOLERANCE };
  const failure = await waitForColour(p.evaluate, query, SEEN_SHARE);
  if (failure !== null)
    throw new Error(
      `${p.who} never saw ${other} (rgb ${rgb.join(",")}) in ${query.selector}; share left | right, last samples:\n${failure}\n${await p.describe()}`,
    );
}

/** The power of each inbound audio stream over `ms`, and how many packets it got meanwhile. */
async function audioArriving(p: Participant, ms: number): Promise<{ power: number; packets: number; mimeType?: string }[]> {
  const audio = (all: InboundStream[]) => all.filter((s) => s.kind === "audio");
  const before = audio(await p.evaluate(inboundStreams, undefined));
  await new Promise((r) => setTimeout(r, ms));
  const after = audio(await p.evaluate(inboundStreams, undefined));
  return after.map((a, i) => {
    const b = before[i] ?? { totalAudioEnergy: 0, totalSamplesDuration: 0, packetsReceived: 0 };
    const duration = a.totalSamplesDuration - b.totalSamplesDuration;
    return {
      power: duration > 0 ? (a.totalAudioEnergy - b.totalAudioEnergy) / duration : 0,
      packets: a.packetsReceived - b.packetsReceived,
      mimeType: a.mimeType,
    };
  });
}

/** Within 30 s, some inbound audio stream of `p` carries sound (the only other sender's: an MCU leaves out your own). */
async function expectHears(p: Participant, other: string): Promise<void> {
  const seen: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const streams = await audioArriving(p, 2000);
    seen.push(JSON.stringify(streams));
    if (seen.length > 6) seen.shift();
    if (streams.some((s) => s.packets > 0 && s.power >= HEARD_POWER && s.mimeType?.toLowerCase() === "audio/opus")) return;
  }
  throw new Error(
    `${p.who} never heard ${other} (mean square amplitude >= ${HEARD_POWER} over 2 s); inbound audio, last samples:\n${seen.join("\n")}\n${await p.describe()}`,
  );
}

function modeSuite(mode: RoomMode): void {
  it(
    `${mode}: Firefox and Chromium senders each see and hear the other; Firefox as a viewer sees and hears Chromium`,
    async () => {
      const room = `firefox-${mode}`;
      const chromiumPage = await chromiumPool.openPage(chromiumPool.browsers[0], `${mode} Chromium`);
      await chromiumPage.page.addInitScript(colourCamera, { rgb: BLUE });
      const firefoxPage = await firefoxPool.openPage(firefoxPool.browsers[0], `${mode} Firefox`, colourCamera, { rgb: RED });
      try {
        const cole = onChromium(chromiumPage, "Cole (Chromium)");
        const fern = onFirefox(firefoxPage, "Fern (Firefox)");
        await firefoxPage.page.goto(roomUrl(`room=${room}&name=Fern&mode=${mode}`));
        await chromiumPage.page.goto(roomUrl(`room=${room}&name=Cole&mode=${mode}`));
        await Promise.all([waitFirefoxConnected(firefoxPage), waitConnected(chromiumPage)]);
        expect(await fern.evaluate(() => window.tessera.mode, undefined)).toBe(mode);

        await Promise.all([expectSees(fern, mode, "Cole", BLUE), expectSees(cole, mode, "Fern", RED)]);
        await Promise.all([expectHears(fern, "Cole"), expectHears(cole, "Fern")]);

        // The same tab, now a viewer: Fern leaves, and the tab comes back sending nothing.
        await firefoxPage.page.click("#leave");
        await firefoxPage.page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "left", {
          timeout: 10_000,
        });
        await firefoxPage.page.goto(roomUrl(`room=${room}&name=Vera&role=viewer&mode=${mode}`));
        await waitFirefoxConnected(firefoxPage);
        const vera = onFirefox(firefoxPage, "Vera (Firefox viewer)");
        expect(await vera.evaluate(() => window.tessera.role, undefined)).toBe("viewer");
        await expectSees(vera, mode, "Cole", BLUE);
        await expectHears(vera, "Cole");
      } finally {
        await Promise.allSettled([firefoxPage.page.goto("about:blank"), chromiumPage.context.close()]);
      }
    },
    TEST_TIMEOUT_MS,
  );
}

describeWithChromium("Firefox and Chromium in one room", () => {
  describeWithFirefox("(real Firefox ESR over WebDriver BiDi)", () => {
    beforeAll(async () => {
      server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
      await Promise.all([chromiumPool.launch(), firefoxPool.launch()]);
    }, 90_000);

    afterAll(async () => {
      await Promise.allSettled([chromiumPool.closeAll(), firefoxPool.closeAll()]);
      await server?.close();
    }, 90_000);

    for (const mode of ["mcu", "sfu", "mesh"] as const) describe(mode, () => modeSuite(mode));
  });
});
