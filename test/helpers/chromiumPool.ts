// Real Chromium for the browser e2e tests and the browser benchmarks: Debian's /usr/bin/chromium driven by
// playwright-core, with a fake camera and microphone, kept off the network. Free of vitest, so that bench/
// scripts can use it outside a test run; test/e2e/*.test.ts import it through ./chromium.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import type { Evaluate } from "./pageMedia.js";

export const CHROMIUM = "/usr/bin/chromium";

export const CONNECT_TIMEOUT_MS = 30_000;

// Chromium honours only the LAST --disable-features flag, so this is the one list: what Playwright
// would disable itself (its list is dropped with ignoreDefaultArgs) plus what keeps the browser off
// the network (no mDNS host candidates: WebRTC offers plain 127.0.0.1; no Google lookups).
const DISABLED_FEATURES = [
  "WebRtcHideLocalIpsWithMdns",
  "AvoidUnnecessaryBeforeUnloadCheckSync",
  "DestroyProfileOnBrowserClose",
  "HttpsUpgrades",
  "HttpsFirstBalancedModeAutoEnable",
  "LensOverlay",
  "MediaRouter",
  "DialMediaRouteProvider",
  "GlobalMediaControls",
  "PaintHolding",
  "ThirdPartyStoragePartitioning",
  "AvoidCorsURLLoaderRestartOnRedirect",
  "Translate",
  "OptimizationHints",
  "NetworkTimeServiceQuerying",
  "AimEnabled",
  "PreconnectToSearch",
  "CertificateTransparencyComponentUpdater",
  "AutofillServerCommunication",
];

/**
 * The whole command line (ignoreDefaultArgs: true), so that nothing adds a second --disable-features.
 * Playwright needs --remote-debugging-pipe; --no-startup-window because contexts are made by newContext.
 */
function chromiumArgs(userDataDir: string, names: NamedHosts = {}): string[] {
  const hosts = names.loopbackHosts ?? [];
  return [
    "--remote-debugging-pipe",
    `--user-data-dir=${userDataDir}`,
    "--no-startup-window",
    "--headless=new",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-dev-shm-usage",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-ipc-flooding-protection",
    "--disable-hang-monitor",
    "--disable-field-trial-config",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    `--host-resolver-rules=${[...hosts.map((host) => `MAP ${host} 127.0.0.1`), "MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1"].join(", ")}`,
    // A page on a made-up name is not a secure context as a loopback one is: no camera without this.
    ...(names.secureOrigins?.length ? [`--unsafely-treat-insecure-origin-as-secure=${names.secureOrigins.join(",")}`] : []),
    `--disable-features=${DISABLED_FEATURES.join(",")}`,
  ];
}

/** Host names of the test's own that resolve to 127.0.0.1 in the browser (nodes of a cluster, say). */
export interface NamedHosts {
  readonly loopbackHosts?: readonly string[];
  /** http:// origins on those names that count as secure (getUserMedia), as https:// ones would. */
  readonly secureOrigins?: readonly string[];
}

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Recent console lines and page errors, quoted in failure messages. */
  log: string[];
}

/** The browsers, profiles and pages of one test file; closeAll() in afterAll. */
export class BrowserPool {
  readonly browsers: Browser[] = [];
  private readonly userDataDirs: string[] = [];
  private readonly pages: TestPage[] = [];

  /**
   * `omit`: flags of the usual command line left out (say, the fake permission UI, to test a denied camera).
   * `names`: host names that resolve to loopback in this browser.
   * `executablePath`: another way to start Debian's Chromium (a wrapper running it in a network namespace).
   */
  async launch(omit: readonly string[] = [], names: NamedHosts = {}, executablePath = CHROMIUM): Promise<Browser> {
    const dir = mkdtempSync(join(tmpdir(), "tessera-e2e-chromium-"));
    this.userDataDirs.push(dir);
    const browser = await chromium.launch({
      executablePath,
      ignoreDefaultArgs: true,
      args: chromiumArgs(dir, names).filter((arg) => !omit.includes(arg)),
      timeout: 30_000,
    });
    this.browsers.push(browser);
    return browser;
  }

  /** `options`: a phone's viewport, a locale, permissions… (the default is a 1366x900 desktop window). */
  async openPage(browser: Browser, label: string, initScript?: () => void, options: BrowserContextOptions = {}): Promise<TestPage> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, ...options });
    const page = await context.newPage();
    const log: string[] = [];
    const remember = (line: string) => {
      log.push(`[${label}] ${line}`);
      if (log.length > 40) log.shift();
    };
    page.on("console", (m) => remember(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => remember(`pageerror: ${e.message}`));
    if (initScript) await page.addInitScript(initScript);
    const tp = { page, context, log };
    this.pages.push(tp);
    return tp;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.pages.map((tp) => tp.context.close()));
    await Promise.allSettled(this.browsers.map((b) => b.close()));
    for (const dir of this.userDataDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The page's `evaluate`, as the probes of pageMedia.ts take it (the same call in either driver). */
export function chromiumEvaluate(tp: TestPage): Evaluate {
  return ((fn, arg) => tp.page.evaluate(fn as never, arg)) as Evaluate;
}

export async function describePage(tp: TestPage): Promise<string> {
  const info = await tp.page
    .evaluate(() => ({
      state: document.querySelector("#status")?.getAttribute("data-state"),
      status: document.querySelector("#status")?.textContent,
      error: document.querySelector("#error")?.textContent,
    }))
    .catch((e: unknown) => ({ evaluateFailed: String(e) }));
  return `${JSON.stringify(info)}\n${tp.log.join("\n")}`;
}

/** Waits until #status[data-state] is `connected`; fails at once (with #error) if it becomes `failed`. */
export async function waitConnected(tp: TestPage): Promise<void> {
  const settled = await tp.page
    .waitForFunction(
      () => {
        const state = document.querySelector("#status")?.getAttribute("data-state");
        return state === "connected" || state === "failed" ? state : false;
      },
      null,
      { timeout: CONNECT_TIMEOUT_MS, polling: 100 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => "timeout");
  if (settled !== "connected") throw new Error(`page did not connect (${settled}): ${await describePage(tp)}`);
}
