// Real Firefox for the browser e2e tests: Debian's /usr/bin/firefox-esr driven by puppeteer-core over WebDriver
// BiDi (Playwright drives only its own patched Firefox build, which cannot be downloaded here; puppeteer-core never
// downloads a browser), with Firefox's fake camera and microphone, kept off the network.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { describeRequiring } from "./browserRequirement.js";
import type { Evaluate } from "./pageMedia.js";

export const FIREFOX = "/usr/bin/firefox-esr";
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * On top of puppeteer's own test profile (no updates, telemetry or safe-browsing lookups): camera and microphone
 * without a prompt, Firefox's fake devices (a test pattern cycling through colours, and a sine tone), autoplay with
 * sound, and host candidates as plain addresses (no mDNS names, so no multicast). Firefox 153 gathers on the
 * machine's interfaces, not on lo (`media.peerconnection.ice.loopback` and `force_interface: "lo"` added no
 * 127.0.0.1 candidate here); the server under test offers 127.0.0.1 only, and packets between the machine's own
 * addresses never leave it. Nothing it needs is on the network: the connectivity and captive-portal probes, DNS
 * prefetch, region lookups, telemetry and the OpenH264 download are off too.
 */
const PREFS: Record<string, string | number | boolean> = {
  "media.navigator.permission.disabled": true,
  "media.navigator.streams.fake": true,
  "media.autoplay.default": 0,
  "media.autoplay.blocking_policy": 0,
  "media.peerconnection.ice.loopback": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.peerconnection.ice.link_local": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "media.gmp-gmpopenh264.autoupdate": false,
  "media.gmp-gmpopenh264.enabled": false,
  "media.gmp-manager.url": "",
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.server": "",
};

export interface FirefoxPage {
  page: Page;
  /** Recent console lines and page errors, quoted in failure messages. */
  log: string[];
}

/** The Firefox browsers, profiles and pages of one test file; closeAll() in afterAll. */
export class FirefoxPool {
  readonly browsers: Browser[] = [];
  private readonly profiles: string[] = [];
  private readonly pages: FirefoxPage[] = [];

  async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "tessera-e2e-firefox-"));
    this.profiles.push(profile);
    const browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: PREFS,
      defaultViewport: { width: 1366, height: 900 },
      timeout: 60_000,
      protocolTimeout: 60_000,
    });
    this.browsers.push(browser);
    return browser;
  }

  /** A new tab; `initScript` (with `arg`) runs before the page's own scripts in every document it loads. */
  async openPage<A>(browser: Browser, label: string, initScript?: (arg: A) => void, arg?: A): Promise<FirefoxPage> {
    const page = await browser.newPage();
    const log: string[] = [];
    const remember = (line: string) => {
      log.push(`[${label}] ${line}`);
      if (log.length > 40) log.shift();
    };
    page.on("console", (m) => remember(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => remember(`pageerror: ${(e as Error).message}`));
    if (initScript) await page.evaluateOnNewDocument(initScript, arg as A);
    const fp = { page, log };
    this.pages.push(fp);
    return fp;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.pages.map((fp) => fp.page.close()));
    await Promise.allSettled(this.browsers.map((b) => b.close()));
    for (const dir of this.profiles) rmSync(dir, { recursive: true, force: true });
  }
}

/** The page's `evaluate`, as the probes of pageMedia.ts take it (the same call in either driver). */
export function firefoxEvaluate(fp: FirefoxPage): Evaluate {
  return ((fn, arg) => fp.page.evaluate(fn as never, arg)) as Evaluate;
}

export async function describeFirefoxPage(fp: FirefoxPage): Promise<string> {
  const info = await fp.page
    .evaluate(() => ({
      state: document.querySelector("#status")?.getAttribute("data-state"),
      status: document.querySelector("#status")?.textContent,
      error: document.querySelector("#error")?.textContent,
    }))
    .catch((e: unknown) => ({ evaluateFailed: String(e) }));
  return `${JSON.stringify(info)}\n${fp.log.join("\n")}`;
}

/** Waits until #status[data-state] is `connected`; fails at once (with #error) if it becomes `failed`. */
export async function waitFirefoxConnected(fp: FirefoxPage): Promise<void> {
  const settled = await fp.page
    .waitForFunction(
      (): string | false => {
        const state = document.querySelector("#status")?.getAttribute("data-state");
        return state === "connected" || state === "failed" ? state : false;
      },
      { timeout: CONNECT_TIMEOUT_MS, polling: 100 },
    )
    .then((handle) => handle.jsonValue() as Promise<string | false>)
    .catch(() => "timeout");
  if (settled !== "connected") throw new Error(`Firefox page did not connect (${String(settled)}): ${await describeFirefoxPage(fp)}`);
}

/** describe() that needs Firefox: skipped with a warning without it, failing in CI. */
export function describeWithFirefox(name: string, suite: () => void): void {
  describeRequiring(
    name,
    existsSync(FIREFOX),
    `${FIREFOX} not found: install Debian's browser with "apt-get install -y firefox-esr" to run the Firefox e2e tests`,
    suite,
  );
}
