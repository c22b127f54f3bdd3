// Real Chromium against a real server process that is killed (SIGKILL: no `bye`, the sockets die with
// code 1006) and started again on the same port 1.5 s later. Both pages must say "Reconnecting…", come
// back by themselves (joining afresh: the new server knows no resume key) and play the mix again.

import { afterAll, beforeAll, expect, it } from "vitest";
import { killLeftovers, startSoakServer, type SoakServer } from "../../soak/serverProcess.js";
import { liveChildren, type ChildProcessId } from "../../soak/procProbe.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 150_000;
const TOKEN = "e2e-reconnect";
// Chromium's fake camera is a bright test card; a tile without a picture is a dark name card.
const BRIGHT_LUMA = 60;
const LIVE_SHARE = 0.3;

const pool = new BrowserPool();
let server: SoakServer | undefined;
/** Every ffmpeg child the killed servers were seen with: orphaned by SIGKILL, they are ours to end. */
const seenChildren: ChildProcessId[] = [];

function start(port?: number): Promise<SoakServer> {
  return startSoakServer({ token: TOKEN, port, env: { OUTPUT_WIDTH: "640", OUTPUT_HEIGHT: "360" } });
}

/** Frames decoded by the page's mixed video over `ms`, and whether both halves of the picture show a camera. */
function mixProgress(tp: TestPage, ms: number) {
  return tp.page.evaluate(
    async ({ ms, brightLuma }) => {
      const v = document.querySelector<HTMLVideoElement>("video#mixed")!;
      const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
      await new Promise((r) => setTimeout(r, ms));
      const canvas = document.createElement("canvas");
      canvas.width = 160;
      canvas.height = 90;
      const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
      ctx.drawImage(v, 0, 0, 160, 90);
      const data = ctx.getImageData(0, 0, 160, 90).data;
      const bright = [0, 0];
      for (let i = 0; i < data.length; i += 4) {
        const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
        if (luma >= brightLuma) bright[(i / 4) % 160 < 80 ? 0 : 1]++;
      }
      return {
        frames: v.getVideoPlaybackQuality().totalVideoFrames - f0,
        width: v.videoWidth,
        paused: v.paused,
        brightShare: bright.map((b) => b / (80 * 90)),
      };
    },
    { ms, brightLuma: BRIGHT_LUMA },
  );
}

/**
 * Within ~15 s the mix plays (new frames) with a live camera in both tiles. A few frames a second prove it
 * plays: with other browsers and servers on the same 2 cores it has been seen decoding 1-4 a second.
 */
async function expectLiveMix(tp: TestPage): Promise<void> {
  let last: Awaited<ReturnType<typeof mixProgress>> | undefined;
  for (let i = 0; i < 10; i++) {
    last = await mixProgress(tp, 1500);
    if (last.frames >= 2 && !last.paused && last.brightShare.every((s) => s >= LIVE_SHARE)) return;
  }
  throw new Error(`the mix did not play with two live tiles: ${JSON.stringify(last)}\n${await describePage(tp)}`);
}

function rememberChildren(s: SoakServer): void {
  for (const child of liveChildren(s.pid)) if (child.comm.startsWith("ffmpeg")) seenChildren.push(child.id);
}

describeWithChromium("reconnecting after the server is killed and restarted (real Chromium)", () => {
  let alice: TestPage;
  let bob: TestPage;

  beforeAll(async () => {
    server = await start();
    const browser = await pool.launch();
    // Keeps the page's WebSockets within reach, so a test can cut one as a network drop would.
    const keepSockets = () => {
      const sockets: WebSocket[] = [];
      (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
      const Original = window.WebSocket;
      window.WebSocket = class extends Original {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      };
    };
    alice = await pool.openPage(browser, "Alice", keepSockets);
    bob = await pool.openPage(browser, "Bob", keepSockets);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.stop(10_000);
    killLeftovers(seenChildren);
  }, TEST_TIMEOUT_MS);

  it(
    "both pages show Reconnecting…, then join the restarted server by themselves and get the mix again",
    async () => {
      const url = (name: string) => new URL(`/?room=phoenix&name=${name}`, server!.url).toString();
      await alice.page.goto(url("Alice"));
      await bob.page.goto(url("Bob"));
      await Promise.all([waitConnected(alice), waitConnected(bob)]);
      await Promise.all([expectLiveMix(alice), expectLiveMix(bob)]);
      const idsBefore = await Promise.all([alice, bob].map((tp) => tp.page.evaluate(() => window.tessera.id)));

      const port = Number(new URL(server!.url).port);
      rememberChildren(server!);
      process.kill(server!.pid, "SIGKILL");
      const exit = await server!.exited;
      expect(exit.signal).toBe("SIGKILL");
      killLeftovers(seenChildren);

      for (const tp of [alice, bob]) {
        const reconnecting = await tp.page
          .waitForFunction(() => window.tessera.reconnecting && document.querySelector("#status")?.textContent === "Reconnecting…", null, {
            timeout: 10_000,
            polling: 50,
          })
          .then(
            () => true,
            () => false,
          );
        expect(reconnecting, `the page should say Reconnecting…: ${await describePage(tp)}`).toBe(true);
      }
      // Still trying, not given up, while nothing listens on the port.
      await new Promise((r) => setTimeout(r, 1500));
      for (const tp of [alice, bob]) {
        expect(
          await tp.page.evaluate(() => ({
            state: window.tessera.state,
            error: window.tessera.error,
            form: document.querySelector<HTMLElement>("#join-form")?.hidden,
          })),
        ).toEqual({ state: "connecting", error: null, form: true });
      }

      server = await start(port);
      const healthyAt = performance.now();
      for (const tp of [alice, bob]) {
        const back = await tp.page
          .waitForFunction(() => window.tessera.reconnects >= 1 && window.tessera.state === "connected", null, {
            timeout: 60_000,
            polling: 200,
          })
          .then(
            () => true,
            () => false,
          );
        expect(back, `the page should be back in the room: ${await describePage(tp)}`).toBe(true);
      }
      console.info(
        `both pages connected again ${Math.round(performance.now() - healthyAt)} ms after the restarted server answered /healthz`,
      );
      // A new server knows no resume key: both joined afresh, as new participants, and see each other.
      const idsAfter = await Promise.all([alice, bob].map((tp) => tp.page.evaluate(() => window.tessera.id)));
      for (let i = 0; i < 2; i++) expect(idsAfter[i]).not.toBe(idsBefore[i]);
      for (const tp of [alice, bob]) {
        await expect.poll(() => tp.page.evaluate(() => window.tessera.participants.length), { timeout: 10_000 }).toBe(2);
      }
      await Promise.all([expectLiveMix(alice), expectLiveMix(bob)]);
      rememberChildren(server);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a page whose socket drops comes back as the same participant, in the same tile, while the server holds its place",
    async () => {
      const before = await alice.page.evaluate(() => ({ id: window.tessera.id, reconnects: window.tessera.reconnects }));
      const bobRosters: string[][] = [];
      const watchBob = setInterval(() => {
        void bob.page
          .evaluate(() => window.tessera.participants.map((p) => p.id))
          .then(
            (ids) => bobRosters.push(ids),
            () => undefined,
          );
      }, 100);
      try {
        // 4000: not a clean close (1000), so the server treats it as a drop and holds Alice's place.
        const droppedAt = performance.now();
        await alice.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)!.close(4000, "test drop"));
        const back = await alice.page
          .waitForFunction((n) => window.tessera.reconnects > n && window.tessera.state === "connected", before.reconnects, {
            timeout: 30_000,
            polling: 100,
          })
          .then(
            () => true,
            () => false,
          );
        console.info(
          `MCU: the page was connected again, as the same participant, ${Math.round(performance.now() - droppedAt)} ms after its socket was cut`,
        );
        expect(back, `Alice should be back: ${await describePage(alice)}`).toBe(true);
        expect(await alice.page.evaluate(() => window.tessera.id)).toBe(before.id);
        await Promise.all([expectLiveMix(alice), expectLiveMix(bob)]);
      } finally {
        clearInterval(watchBob);
      }
      // Bob never saw Alice leave.
      expect(bobRosters.length).toBeGreaterThan(5);
      for (const ids of bobRosters) expect(ids).toContain(before.id);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "SFU: a page whose socket drops comes back as the same participant, and the other page's video of it plays again",
    async () => {
      const url = (name: string) => new URL(`/?room=sfu-back&name=${name}&mode=sfu`, server!.url).toString();
      await alice.page.goto(url("Alice"));
      await bob.page.goto(url("Bob"));
      await Promise.all([waitConnected(alice), waitConnected(bob)]);
      const aliceId = await alice.page.evaluate(() => window.tessera.id);
      await expectRemoteFrames(bob, "Alice");

      await alice.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)!.close(4000, "test drop"));
      const back = await alice.page
        .waitForFunction(() => window.tessera.reconnects >= 1 && window.tessera.state === "connected", null, {
          timeout: 30_000,
          polling: 100,
        })
        .then(
          () => true,
          () => false,
        );
      expect(back, `Alice should be back: ${await describePage(alice)}`).toBe(true);
      expect(await alice.page.evaluate(() => window.tessera.id)).toBe(aliceId);
      // Both ways: Alice's fresh peer gets Bob again, and Bob's video of Alice (the same element) plays her new stream.
      await expectRemoteFrames(alice, "Bob");
      await expectRemoteFrames(bob, "Alice");
      expect(await bob.page.evaluate(() => document.querySelectorAll("#remotes video").length)).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});

/** Within ~15 s, the #remotes video of `name` decodes new frames. */
async function expectRemoteFrames(tp: TestPage, name: string): Promise<void> {
  let frames = -1;
  for (let i = 0; i < 15 && frames <= 5; i++) {
    frames = await tp.page.evaluate(async (n) => {
      const v = [...document.querySelectorAll<HTMLVideoElement>("#remotes video")].find((e) => e.dataset.name === n);
      if (!v) {
        await new Promise((r) => setTimeout(r, 1000));
        return -1;
      }
      const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
      await new Promise((r) => setTimeout(r, 1000));
      return v.getVideoPlaybackQuality().totalVideoFrames - f0;
    }, name);
  }
  expect(frames, `the video of ${name} should decode new frames: ${await describePage(tp)}`).toBeGreaterThan(5);
}
