// End-to-end for the page itself in real Chromium: the pre-join screen with the camera denied joins with sound
// only; a phone gets the mix across (nearly) its whole width and 44 px touch targets; a full room offers the viewer seat
// in one click, and a viewer sees who started the recording but has no Record button; the language switch;
// the HTML 404 page.

import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer } from "../../src/server.js";
import { BrowserPool, CONNECT_TIMEOUT_MS, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 90_000;
const TOKEN = "client-ui-token";
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

function clientUiSuite(): void {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  const url = (q: string) => new URL(`/?${q}`, server!.url).toString();

  beforeAll(async () => {
    // Two senders per room, so that a third one meets a full room.
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], maxSenders: 2, apiToken: TOKEN });
    await Promise.all([pool.launch(), pool.launch()]);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
  }, TEST_TIMEOUT_MS);

  it(
    "pre-join with the camera denied previews nothing, says why, and joins with sound only (the mix still plays)",
    async () => {
      // Without the fake permission UI, which grants everything: the profile's permission store decides.
      const strict = await pool.launch(["--use-fake-ui-for-media-stream"]);
      const tp = await pool.openPage(strict, "No camera", undefined, { permissions: ["microphone"] });
      const origin = new URL(server!.url).origin;
      // The browser's own permission store: the microphone allowed for this site (context option), the camera refused.
      const cdp = await tp.context.newCDPSession(tp.page);
      await cdp.send("Browser.setPermission", { permission: { name: "camera" }, setting: "denied", origin });
      await tp.page.goto(url("room=ui-denied"));
      await tp.page.waitForFunction(() => document.querySelector("#preview-box")?.getAttribute("data-camera") !== "starting", null, {
        timeout: 15_000,
      });
      const prejoin = await tp.page.evaluate(() => ({
        camera: document.querySelector("#preview-box")?.getAttribute("data-camera"),
        note:
          document.querySelector<HTMLElement>("#prejoin-note")?.hidden === false
            ? document.querySelector("#prejoin-note")?.textContent
            : null,
        cameraButton: document.querySelector<HTMLButtonElement>("#prejoin-camera")?.disabled,
        micButton: document.querySelector<HTMLButtonElement>("#prejoin-mic")?.disabled,
        focused: document.activeElement?.id,
      }));
      expect(prejoin, await describePage(tp)).toEqual({
        camera: "none",
        note: expect.stringMatching(/sound only.*camera was denied/),
        cameraButton: true,
        micButton: false,
        focused: "name-input",
      });

      await tp.page.fill("#name-input", "Mina");
      await tp.page.click("#join");
      await waitConnected(tp);
      const joined = await tp.page.evaluate(() => ({
        audioOnly: window.tessera.audioOnly,
        me: window.tessera.participants.find((p) => p.id === window.tessera.id),
        audioTracks: (document.querySelector<HTMLVideoElement>("#self")?.srcObject as MediaStream | null)?.getAudioTracks().length,
        videoTracks: (document.querySelector<HTMLVideoElement>("#self")?.srcObject as MediaStream | null)?.getVideoTracks().length,
        cameraButton: {
          disabled: document.querySelector<HTMLButtonElement>("#camera-off")?.disabled,
          text: document.querySelector("#camera-off")?.textContent,
        },
        focused: document.activeElement?.id,
      }));
      expect(joined).toMatchObject({
        audioOnly: true,
        audioTracks: 1,
        videoTracks: 0,
        cameraButton: { disabled: true, text: "No camera" },
        focused: "mute-mic",
      });
      // The server draws a name card for a camera that is off: it was told.
      await expect
        .poll(() => tp.page.evaluate(() => window.tessera.participants.find((p) => p.id === window.tessera.id)?.videoMuted), {
          timeout: 10_000,
        })
        .toBe(true);
      // Receiving needs no camera: the mix arrives on the receive-only video transceiver, at the rung the server
      // chose for this page's box (the `mix` message; never larger than the box needs).
      const mixed = await tp.page
        .waitForFunction(() => (document.querySelector<HTMLVideoElement>("#mixed")?.videoWidth ?? 0) > 0, null, {
          timeout: CONNECT_TIMEOUT_MS,
        })
        .then(() => tp.page.evaluate(() => document.querySelector<HTMLVideoElement>("#mixed")!.videoWidth))
        .catch(() => 0);
      const sent = await tp.page.evaluate(() => window.tessera.mix);
      expect(mixed, await describePage(tp)).toBeGreaterThan(0);
      expect(sent, "the server said which mix it sends").toMatchObject({ paused: false });
      await expect
        .poll(() => tp.page.evaluate(() => document.querySelector<HTMLVideoElement>("#mixed")!.videoWidth), { timeout: 10_000 })
        .toBe(sent!.width);

      await tp.page.click("#leave");
      await tp.page.waitForFunction(() => document.querySelector("#status")?.getAttribute("data-state") === "left", null, {
        timeout: 5_000,
      });
      expect(await tp.page.evaluate(() => document.activeElement?.id), "after leaving, focus is on Join").toBe("join");
      await tp.context.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "sound only in SFU and mesh rooms: the camera-less sender still receives the other sender's video, and is heard",
    async () => {
      const strict = pool.browsers[2] ?? (await pool.launch(["--use-fake-ui-for-media-stream"]));
      for (const mode of ["sfu", "mesh"] as const) {
        const room = `ui-sound-${mode}`;
        const other = await pool.openPage(pool.browsers[0], `${mode} Olga`);
        await other.page.goto(url(`room=${room}&name=Olga&mode=${mode}`));
        await waitConnected(other);
        const tp = await pool.openPage(strict, `${mode} no camera`, undefined, { permissions: ["microphone"] });
        const cdp = await tp.context.newCDPSession(tp.page);
        await cdp.send("Browser.setPermission", { permission: { name: "camera" }, setting: "denied", origin: new URL(server!.url).origin });
        await tp.page.goto(url(`room=${room}&name=Sam`));
        await waitConnected(tp);
        const remoteVideo = (page: TestPage["page"]) =>
          page
            .waitForFunction(() => [...document.querySelectorAll<HTMLVideoElement>("#remotes video")].some((v) => v.videoWidth > 0), null, {
              timeout: CONNECT_TIMEOUT_MS,
            })
            .then(
              () => true,
              () => false,
            );
        expect(await tp.page.evaluate(() => window.tessera.audioOnly)).toBe(true);
        expect(await remoteVideo(tp.page), `${mode}: Sam should see Olga's video: ${await describePage(tp)}`).toBe(true);
        // Olga gets Sam's sound (a stream with an audio track), shown as a name card (camera off).
        const heard = await other.page
          .waitForFunction(
            () => {
              const box = document.querySelector<HTMLElement>('#remotes .remote[data-name="Sam"]');
              const video = box?.querySelector("video");
              return (
                box?.dataset.cameraOff === "true" &&
                video?.srcObject instanceof MediaStream &&
                video.srcObject.getAudioTracks().length === 1
              );
            },
            null,
            { timeout: CONNECT_TIMEOUT_MS },
          )
          .then(
            () => true,
            () => false,
          );
        expect(heard, `${mode}: Olga should get Sam's sound with a camera-off card: ${await describePage(other)}`).toBe(true);
        await Promise.all([tp.context.close(), other.context.close()]);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "on a 390x844 phone the mix spans the width, touch targets are at least 44 px, the self-view never covers the stage; on its side the mix takes the full height",
    async () => {
      const tp = await pool.openPage(pool.browsers[0], "Phone", undefined, PHONE);
      const measure = () =>
        tp.page.evaluate(() => {
          const rect = (el: Element) => {
            const r = el.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
          };
          const visible = (el: Element) => el instanceof HTMLElement && el.offsetParent !== null && el.getBoundingClientRect().width > 0;
          const targets = [...document.querySelectorAll("button, select, input, summary")].filter(visible);
          return {
            viewport: { width: window.innerWidth, height: window.innerHeight },
            mixed: rect(document.querySelector("#mixed")!),
            self: visible(document.querySelector("#self-box")!) ? rect(document.querySelector("#self-box")!) : null,
            small: targets.map((el) => ({ id: el.id, ...rect(el) })).filter((r) => r.width < 44 || r.height < 44),
            count: targets.length,
          };
        });
      const overlaps = (a: { left: number; right: number; top: number; bottom: number }, b: typeof a) =>
        a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

      // The pre-join screen first: its controls are touch targets too (the preview's toggles, the selects, "More options").
      await tp.page.goto(url("room=ui-phone"));
      await tp.page.waitForFunction(() => document.querySelector("#preview-box")?.getAttribute("data-camera") === "on", null, {
        timeout: 15_000,
      });
      const prejoin = await measure();
      expect(prejoin.count).toBeGreaterThanOrEqual(8);
      expect(prejoin.small, "pre-join: every touch target is at least 44x44 px").toEqual([]);

      await tp.page.goto(url("room=ui-phone&name=Pat"));
      await waitConnected(tp);
      const upright = await measure();
      // A portrait (9:16) mix: at 390x844 full width would be 693 px tall and push Record and Leave off the
      // screen (test/e2e/portrait.test.ts checks every control is on it), so the stage keeps their two rows'
      // height and is a little narrower than the screen, centred.
      expect(upright.mixed.width, JSON.stringify(upright)).toBeGreaterThanOrEqual(0.9 * upright.viewport.width);
      expect(upright.mixed.left + upright.mixed.width / 2).toBeCloseTo(upright.viewport.width / 2, 0);
      expect(upright.count).toBeGreaterThanOrEqual(5);
      expect(upright.small, "every touch target is at least 44x44 px").toEqual([]);
      // MCU: you are in the mix, so the self-view starts hidden; shown, it sits outside the stage.
      expect(upright.self).toBeNull();
      await tp.page.click("#self-toggle");
      const shown = await measure();
      expect(shown.self, "the self-view is shown after Show me").not.toBeNull();
      expect(
        overlaps(shown.self!, shown.mixed),
        `self-view ${JSON.stringify(shown.self)} over the mix ${JSON.stringify(shown.mixed)}`,
      ).toBe(false);

      await tp.page.setViewportSize({ width: 844, height: 390 });
      await tp.page.waitForTimeout(300);
      const side = await measure();
      expect(side.mixed.height, JSON.stringify(side)).toBeGreaterThanOrEqual(side.viewport.height - 1);
      expect(side.mixed.top).toBeCloseTo(0, 0);
      expect(side.small, "every touch target is at least 44x44 px on its side too").toEqual([]);
      expect(overlaps(side.self!, side.mixed)).toBe(false);
      await tp.context.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a full room offers Join as viewer in one click; the viewer has no Record button and sees who started the recording",
    async () => {
      const [browserA, browserB] = pool.browsers;
      const alice = await pool.openPage(browserA, "Alice");
      await alice.page.goto(url("room=ui-full&name=Alice"));
      await waitConnected(alice);
      const carol = await pool.openPage(browserA, "Carol");
      await carol.page.goto(url("room=ui-full&name=Carol&camera=off"));
      await waitConnected(carol);
      const bob = await pool.openPage(browserB, "Bob");
      await bob.page.goto(url("room=ui-full&name=Bob"));
      const offered = await bob.page
        .waitForFunction(() => document.querySelector<HTMLElement>("#join-as-viewer")?.hidden === false, null, { timeout: 15_000 })
        .then(
          () => true,
          () => false,
        );
      expect(offered, `Bob should be offered the viewer seat: ${await describePage(bob)}`).toBe(true);
      const refused = await bob.page.evaluate(() => ({
        code: window.tessera.errorCode,
        error: document.querySelector("#error-text")?.textContent,
        focused: document.activeElement?.id,
      }));
      expect(refused).toEqual({ code: "room-full", error: expect.stringContaining('"ui-full" is full'), focused: "join-as-viewer" });

      await bob.page.click("#join-as-viewer");
      await waitConnected(bob);
      expect(
        await bob.page.evaluate(() => ({
          role: window.tessera.role,
          record: document.querySelector<HTMLElement>("#record")?.hidden,
          errorShown: document.querySelector<HTMLElement>("#error")?.hidden === false,
        })),
      ).toEqual({ role: "viewer", record: true, errorShown: false });
      expect(await alice.page.locator("#record").isVisible(), "a sender has the Record button").toBe(true);

      await alice.page.click("#record");
      await expect
        .poll(
          () =>
            bob.page.evaluate(() =>
              document.querySelector<HTMLElement>("#rec")?.hidden === false ? document.querySelector("#rec")?.textContent : null,
            ),
          { timeout: 10_000 },
        )
        .toBe("REC · started by Alice");
      await new Promise((r) => setTimeout(r, 1500));
      await alice.page.click("#record");
      await expect.poll(() => bob.page.evaluate(() => document.querySelector<HTMLElement>("#rec")?.hidden), { timeout: 10_000 }).toBe(true);
      await Promise.all([alice.context.close(), bob.context.close(), carol.context.close()]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "follows the browser's language, switches to Korean and back, and keeps the choice",
    async () => {
      const korean = await pool.openPage(pool.browsers[0], "ko-KR", undefined, { locale: "ko-KR" });
      await korean.page.goto(url("room=ui-lang"));
      expect(await korean.page.textContent("#join")).toBe("참여");
      await korean.context.close();

      const tp = await pool.openPage(pool.browsers[0], "Language");
      await tp.page.goto(url("room=ui-lang"));
      const texts = () =>
        tp.page.evaluate(() => ({
          lang: document.documentElement.lang,
          join: document.querySelector("#join")?.textContent,
          watch: document.querySelector("#watch")?.textContent,
          name: document.querySelector('label[for="name-input"]')?.textContent,
          status: document.querySelector("#status")?.textContent,
        }));
      expect(await texts()).toEqual({ lang: "en", join: "Join", watch: "Watch only", name: "Your name", status: "Not connected" });
      await tp.page.selectOption("#lang-select", "ko");
      expect(await texts()).toEqual({ lang: "ko", join: "참여", watch: "보기만 하기", name: "이름", status: "연결되지 않음" });
      await tp.page.reload();
      expect((await texts()).join, "the switch is remembered").toBe("참여");
      await tp.page.fill("#name-input", "김민수");
      await tp.page.click("#watch");
      await waitConnected(tp);
      const inCall = await tp.page.evaluate(() => ({
        leave: document.querySelector("#leave")?.textContent,
        status: document.querySelector("#status")?.textContent,
        empty: document.querySelector("#empty-title")?.textContent,
      }));
      expect(inCall).toEqual({ leave: "나가기", status: "연결됨", empty: "아직 카메라를 켠 사람이 없습니다" });
      await tp.page.selectOption("#lang-select", "en");
      expect(await tp.page.textContent("#empty-title")).toBe("Nobody is on camera yet");
      await tp.context.close();
    },
    TEST_TIMEOUT_MS,
  );

  it("answers an unknown page with an HTML 404 page and an unknown API path with JSON; serves the favicon", async () => {
    const page = await fetch(`${server!.url}/no/such/page`);
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain("Page not found");
    expect(html).toContain('href="/"');
    const api = await fetch(`${server!.url}/api/no-such-endpoint`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: "not-found" });
    const icon = await fetch(`${server!.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });
}

describeWithChromium("the page in real Chromium: pre-join, phone layout, full room, languages", clientUiSuite);
