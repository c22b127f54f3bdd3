// End-to-end for room modes: real Chromium against the server started in-process. In a mesh room and in
// an SFU room two senders must each show the other's live video (with sound) in #remotes, a viewer must
// see both senders, and a participant's video must go when they leave. A bad `mode` in the URL must stop
// the page from joining.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server.js";
import { BrowserPool, CONNECT_TIMEOUT_MS, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 90_000;

let server: Awaited<ReturnType<typeof startServer>> | undefined;
const pool = new BrowserPool();

function roomUrl(query: string): string {
  if (!server) throw new Error("server not started");
  return new URL(`/?${query}`, server.url).toString();
}

interface RemoteVideo {
  name: string | null;
  id: string | null;
  width: number;
  height: number;
  muted: boolean;
  paused: boolean;
  audioTracks: number;
}

function remoteVideos(tp: TestPage): Promise<RemoteVideo[]> {
  return tp.page.evaluate(() =>
    [...document.querySelectorAll<HTMLVideoElement>("#remotes video")].map((v) => ({
      name: v.getAttribute("data-name"),
      id: v.getAttribute("data-id"),
      width: v.videoWidth,
      height: v.videoHeight,
      muted: v.muted,
      paused: v.paused,
      audioTracks: v.srcObject instanceof MediaStream ? v.srcObject.getAudioTracks().length : -1,
    })),
  );
}

/** #remotes shows exactly `names`, each one decoding video (videoWidth > 0) with an audio track and sound on. */
async function expectRemotes(tp: TestPage, names: string[]): Promise<void> {
  const want = [...names].sort();
  const ok = await tp.page
    .waitForFunction(
      (wanted) => {
        const videos = [...document.querySelectorAll<HTMLVideoElement>("#remotes video")];
        const shown = videos.map((v) => v.getAttribute("data-name") ?? "").sort();
        return JSON.stringify(shown) === JSON.stringify(wanted) && videos.every((v) => v.videoWidth > 0 && !v.paused);
      },
      want,
      { timeout: CONNECT_TIMEOUT_MS, polling: 200 },
    )
    .then(() => true)
    .catch(() => false);
  const videos = await remoteVideos(tp);
  expect(
    ok,
    `#remotes should show live video of ${want.join(", ") || "no one"}, shows ${JSON.stringify(videos)}: ${await describePage(tp)}`,
  ).toBe(true);
  for (const v of videos) {
    expect(v.muted, `the video of ${v.name} must not be muted: it carries their sound`).toBe(false);
    expect(v.audioTracks, `the stream of ${v.name} carries one audio track`).toBe(1);
  }
}

/** The video of `name` keeps decoding new frames. */
async function expectAdvancing(tp: TestPage, name: string): Promise<void> {
  const frames = await tp.page.evaluate(async (n) => {
    const v = [...document.querySelectorAll<HTMLVideoElement>("#remotes video")].find((e) => e.dataset.name === n);
    if (!v) return -1;
    const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
    await new Promise((r) => setTimeout(r, 1500));
    return v.getVideoPlaybackQuality().totalVideoFrames - f0;
  }, name);
  // Four browsers share 2 cores here: a few new frames prove the stream is live.
  expect(frames, `the video of ${name} decoded no new frames in 1.5 s`).toBeGreaterThan(2);
}

async function expectMode(tp: TestPage, mode: string, label: string): Promise<void> {
  const shown = await tp.page.evaluate(() => ({
    mode: window.tessera.mode,
    label: document.querySelector("#mode")?.textContent,
    dataMode: document.querySelector("#mode")?.getAttribute("data-mode"),
    mixedHidden: document.querySelector<HTMLVideoElement>("video#mixed")?.hidden,
    remotesHidden: document.querySelector<HTMLElement>("#remotes")?.hidden,
  }));
  expect(shown).toEqual({ mode, label, dataMode: mode, mixedHidden: true, remotesHidden: false });
}

async function leave(tp: TestPage): Promise<void> {
  const clicked = await tp.page.click("#leave", { timeout: 10_000 }).then(
    () => true,
    () => false,
  );
  expect(clicked, `could not click Leave: ${await describePage(tp)}`).toBe(true);
  await tp.page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "left", null, { timeout: 5_000 });
}

/** Alice and Bob, in two browsers, join `room` and each show the other's live video. */
async function twoSenders(mode: "mesh" | "sfu", room: string, label: string): Promise<[TestPage, TestPage]> {
  const [browserA, browserB] = pool.browsers;
  const alice = await pool.openPage(browserA, `${room} Alice`);
  const bob = await pool.openPage(browserB, `${room} Bob`);
  await alice.page.goto(roomUrl(`room=${room}&name=Alice&mode=${mode}`));
  await waitConnected(alice);
  // Bob asks for another mode: the room's first joiner decided.
  await bob.page.goto(roomUrl(`room=${room}&name=Bob&mode=${mode === "mesh" ? "sfu" : "mesh"}`));
  await Promise.all([waitConnected(alice), waitConnected(bob)]);
  await expectMode(alice, mode, label);
  await expectMode(bob, mode, label);
  await Promise.all([expectRemotes(alice, ["Bob"]), expectRemotes(bob, ["Alice"])]);
  await Promise.all([expectAdvancing(alice, "Bob"), expectAdvancing(bob, "Alice")]);
  return [alice, bob];
}

function modeSuite(mode: "mesh" | "sfu", label: string): void {
  it(
    `${mode}: two senders each see the other's live video with sound; a leaver's video goes`,
    async () => {
      const [alice, bob] = await twoSenders(mode, `modes-${mode}-pair`, label);
      await leave(bob);
      await expectRemotes(alice, []);
      await waitConnected(alice);
      await leave(alice);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `${mode}: a viewer sees every sender${mode === "mesh" ? ", including one who joins after it" : ""}; the senders show no video for it`,
    async () => {
      const room = `modes-${mode}-viewer`;
      const [alice, bob] = await twoSenders(mode, room, label);
      const viewer = await pool.openPage(pool.browsers[0], `${room} Victor`);
      await viewer.page.goto(roomUrl(`room=${room}&name=Victor&role=viewer&mode=${mode}`));
      await waitConnected(viewer);
      await expectMode(viewer, mode, label);
      await expectRemotes(viewer, ["Alice", "Bob"]);
      await expectAdvancing(viewer, "Alice");
      await Promise.all([expectRemotes(alice, ["Bob"]), expectRemotes(bob, ["Alice"])]);

      if (mode === "sfu") {
        // Three browsers are what 2 cores carry reliably; a sender joining after a viewer is the same
        // server path (a forward plus a renegotiation) that the werift SFU integration test covers.
        await leave(bob);
        await Promise.all([expectRemotes(viewer, ["Alice"]), expectRemotes(alice, [])]);
        await Promise.all([leave(alice), leave(viewer)]);
        return;
      }
      // Mesh: a sender who joins after the viewer reaches it too (the viewer answers her offer).
      const carol = await pool.openPage(pool.browsers[1], `${room} Carol`);
      await carol.page.goto(roomUrl(`room=${room}&name=Carol&mode=${mode}`));
      await waitConnected(carol);
      await expectRemotes(carol, ["Alice", "Bob"]);
      await expectRemotes(viewer, ["Alice", "Bob", "Carol"]);
      await expectAdvancing(viewer, "Carol");

      await leave(bob);
      await Promise.all([expectRemotes(viewer, ["Alice", "Carol"]), expectRemotes(alice, ["Carol"])]);
      await Promise.all([leave(alice), leave(carol), leave(viewer)]);
    },
    TEST_TIMEOUT_MS,
  );
}

function e2eSuite(): void {
  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    await Promise.all([pool.launch(), pool.launch()]);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
  }, TEST_TIMEOUT_MS);

  describe("mesh", () => modeSuite("mesh", "Direct"));
  describe("sfu", () => modeSuite("sfu", "Forwarded"));

  it(
    "a lone participant in a mesh room is connected at once",
    async () => {
      const solo = await pool.openPage(pool.browsers[0], "Solo");
      await solo.page.goto(roomUrl("room=modes-solo&name=Solo&mode=mesh"));
      await waitConnected(solo);
      await expectMode(solo, "mesh", "Direct");
      await expectRemotes(solo, []);
      await leave(solo);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an unknown mode in the URL is reported and the page does not join",
    async () => {
      const tp = await pool.openPage(pool.browsers[0], "Bad mode");
      await tp.page.goto(roomUrl("room=modes-bad&name=Zed&mode=grid"));
      await tp.page.waitForTimeout(1000);
      const seen = await tp.page.evaluate(() => ({
        error: document.querySelector<HTMLElement>("#error")?.hidden === false ? document.querySelector("#error")?.textContent : null,
        state: document.querySelector("#status")?.getAttribute("data-state"),
        formShown: document.querySelector<HTMLElement>("#join-form")?.hidden === false,
        modeSelect: document.querySelector<HTMLSelectElement>("#mode-select")?.value,
      }));
      expect(seen.error).toMatch(/Unknown room mode "grid"/);
      expect(seen.state).toBe("idle");
      expect(seen.formShown).toBe(true);
      expect(seen.modeSelect).toBe(""); // "Server default"
    },
    TEST_TIMEOUT_MS,
  );
}

describeWithChromium("browser e2e: room modes (real Chromium)", e2eSuite);
