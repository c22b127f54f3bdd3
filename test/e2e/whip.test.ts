// WHIP and WHEP with clients nobody on the project wrote. Debian's simple-whip-client (Meetecho's GStreamer
// client: webrtcbin, max-bundle, trickle ICE by PATCH) publishes a solid colour and a tone into an MCU room
// while a Chromium participant sees its tile, hears it and sees its name in the roster; Ctrl-C makes it DELETE
// its session, and a client killed outright leaves once ICE consent expires. In an SFU room its video and
// sound are forwarded to the page. medooze's WHEP client from npm (whip-whep), bundled with esbuild into a
// page on another origin, plays the mix in Chromium, in the codec each player's offer prefers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, CONNECT_TIMEOUT_MS, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { TestClient } from "../helpers/testClient.js";
import { SimpleWhipClient, simpleWhipClientMissing } from "../helpers/whipClient/simpleWhipClient.js";

const TEST_TIMEOUT_MS = 120_000;
const IN_CI = process.env.CI === "true";

interface Rgb {
  r: number;
  g: number;
  b: number;
}

const near = (a: Rgb | null, b: Rgb, tolerance = 60) =>
  a !== null && Math.abs(a.r - b.r) <= tolerance && Math.abs(a.g - b.g) <= tolerance && Math.abs(a.b - b.b) <= tolerance;

/**
 * The mean colour of a 9x9 square at (x, y) of a playing video, given as shares of its width and height:
 * the page is sent the rendition its box needs, so the mix's own size is not fixed.
 */
function videoColour(tp: TestPage, selector: string, x: number, y: number): Promise<Rgb | null> {
  return tp.page.evaluate(
    ({ selector, x, y }) => {
      const v = document.querySelector<HTMLVideoElement>(selector);
      if (!v || v.videoWidth === 0) return null;
      const canvas = document.createElement("canvas");
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
      ctx.drawImage(v, 0, 0);
      const d = ctx.getImageData(Math.round(x * v.videoWidth) - 4, Math.round(y * v.videoHeight) - 4, 9, 9).data;
      const sum = { r: 0, g: 0, b: 0 };
      for (let i = 0; i < d.length; i += 4) {
        sum.r += d[i];
        sum.g += d[i + 1];
        sum.b += d[i + 2];
      }
      const n = d.length / 4;
      return { r: Math.round(sum.r / n), g: Math.round(sum.g / n), b: Math.round(sum.b / n) };
    },
    { selector, x, y },
  );
}

/**
 * The loudest frequency (Hz) in the sound a video element plays, read with an AnalyserNode on its stream
 * (the element itself plays it, which Chromium needs for a remote track to reach WebAudio).
 */
function loudestHz(tp: TestPage, selector: string): Promise<number | null> {
  return tp.page.evaluate(async (selector) => {
    const v = document.querySelector<HTMLVideoElement>(selector);
    if (!v || !(v.srcObject instanceof MediaStream) || v.srcObject.getAudioTracks().length === 0) return null;
    const w = window as unknown as { analysers?: Map<string, { analyser: AnalyserNode; rate: number }> };
    w.analysers ??= new Map();
    let entry = w.analysers.get(selector);
    if (!entry) {
      const ctx = new AudioContext();
      await ctx.resume();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      ctx.createMediaStreamSource(v.srcObject).connect(analyser);
      entry = { analyser, rate: ctx.sampleRate };
      w.analysers.set(selector, entry);
      await new Promise((r) => setTimeout(r, 500));
    }
    const bins = new Float32Array(entry.analyser.frequencyBinCount);
    entry.analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    // Silence is -Infinity (or about -100 dB) everywhere: no loudest tone then.
    if (!(bins[best] > -80)) return null;
    return (best * entry.rate) / entry.analyser.fftSize;
  }, selector);
}

describeWithChromium("WHIP and WHEP with third-party clients", () => {
  let server: RunningServer;
  let pages: Server;
  let pagesOrigin = "";
  const pool = new BrowserPool();
  const clients: { close(): Promise<unknown> }[] = [];
  /** Every client started, stopped (by its PID) in afterAll whatever happened. */
  const whipClients: SimpleWhipClient[] = [];
  const startWhipClient = (options: Parameters<typeof SimpleWhipClient.start>[0]) => {
    const client = SimpleWhipClient.start(options);
    whipClients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    // The WHEP client from npm as a page script would load it: bundled, in a page of another origin
    // (localhost, not 127.0.0.1), so the POST, PATCH and DELETE go through CORS as a real player's do.
    const bundle = await build({
      stdin: {
        contents: 'import { WHEPClient } from "whip-whep/whep.js"; window.WHEPClient = WHEPClient;',
        resolveDir: process.cwd(),
        loader: "js",
      },
      bundle: true,
      format: "iife",
      write: false,
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0].text;
    const html = '<!doctype html><meta charset="utf-8"><title>WHEP player</title><body><script src="/player.js"></script></body>';
    pages = createServer((req, res) => {
      if (req.url === "/player.js") return void res.writeHead(200, { "Content-Type": "application/javascript" }).end(script);
      res.writeHead(200, { "Content-Type": "text/html" }).end(html);
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    pagesOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    for (const c of whipClients) await c.stop();
    for (const c of clients) await c.close().catch(() => undefined);
    await pool.closeAll();
    await new Promise((resolve) => pages?.close(resolve));
    await server?.close();
  });

  it(
    "simple-whip-client publishes into an MCU room: a Chromium participant sees its tile and its name, and hears it; Ctrl-C leaves the room, and so does a client killed outright",
    async (ctx) => {
      const missing = simpleWhipClientMissing();
      if (missing) {
        if (IN_CI) throw new Error(`CI=true and ${missing}`);
        console.warn(`skipping the simple-whip-client test: ${missing}`);
        return ctx.skip();
      }
      const browser = await pool.launch();
      const viewer = await pool.openPage(browser, "viewer");
      await viewer.page.goto(new URL("/?room=whip-e2e&name=Viewer&role=viewer", server.url).toString());
      await waitConnected(viewer);

      const whipClient = startWhipClient({
        endpoint: `${server.url}/whip/whip-e2e?name=${encodeURIComponent("GStreamer 인코더")}`,
        colour: 0xffff0000,
        toneHz: 880,
      });
      const inRoster = await viewer.page
        .waitForFunction(() => window.tessera.participants.some((p) => p.name === "GStreamer 인코더" && p.role === "sender"), null, {
          timeout: CONNECT_TIMEOUT_MS,
          polling: 200,
        })
        .then(() => true)
        .catch(() => false);
      expect(inRoster, `the publisher in the page's roster: ${whipClient.describe()}\n${await describePage(viewer)}`).toBe(true);
      // Its name in the page's participant list, as every participant's.
      await expect.poll(() => viewer.page.locator("#participants").textContent(), { timeout: 10_000 }).toContain("GStreamer 인코더");

      // The one sender's tile fills the mix; the client's 320x240 picture sits in its middle.
      const red = { r: 255, g: 0, b: 0 };
      await expect
        .poll(() => videoColour(viewer, "video#mixed", 0.5, 0.5), {
          timeout: 30_000,
          interval: 300,
          message: `the publisher's red tile in the mix; ${whipClient.describe()}`,
        })
        .toSatisfy((c: Rgb | null) => near(c, red));

      let hz: number | null = null;
      await expect
        .poll(async () => (hz = await loudestHz(viewer, "video#mixed")), {
          timeout: 30_000,
          interval: 500,
          message: "the publisher's 880 Hz tone is the loudest sound the page plays",
        })
        .toSatisfy((f: number | null) => f !== null && Math.abs(f - 880) < 30);
      expect(hz).not.toBeNull();

      // Ctrl-C: the client DELETEs its session and exits; the participant leaves the page's roster.
      const code = await whipClient.stop();
      expect(code, whipClient.describe()).toBe(0);
      await expect
        .poll(() => viewer.page.evaluate(() => window.tessera.participants.map((p) => p.name)), { timeout: 10_000 })
        .toEqual(["Viewer"]);
      expect(whipClient.output.join("\n")).toMatch(/Bye/);

      // A publisher that dies without a word (SIGKILL: no DELETE, no DTLS close) is noticed by ICE consent
      // freshness (RFC 7675, about 30 s) and leaves the room like any failed participant.
      const crashing = startWhipClient({ endpoint: `${server.url}/whip/whip-e2e?name=Crasher`, colour: 0xff00ff00, toneHz: 440 });
      await expect
        .poll(() => viewer.page.evaluate(() => window.tessera.participants.map((p) => p.name).sort()), { timeout: CONNECT_TIMEOUT_MS })
        .toEqual(["Crasher", "Viewer"]);
      await expect
        .poll(() => videoColour(viewer, "video#mixed", 0.5, 0.5), {
          timeout: 30_000,
          interval: 300,
          message: "the second publisher's green tile",
        })
        .toSatisfy((c: Rgb | null) => near(c, { r: 0, g: 255, b: 0 }));
      await crashing.crash();
      const crashedAt = Date.now();
      await expect
        .poll(() => viewer.page.evaluate(() => window.tessera.participants.map((p) => p.name)), { timeout: 60_000, interval: 500 })
        .toEqual(["Viewer"]);
      console.info(`a crashed WHIP publisher left the room after ${Math.round((Date.now() - crashedAt) / 1000)} s`);
    },
    TEST_TIMEOUT_MS + 60_000,
  );

  it(
    "simple-whip-client publishes into an SFU room: a Chromium participant receives its video and its sound, forwarded",
    async (ctx) => {
      const missing = simpleWhipClientMissing();
      if (missing) {
        if (IN_CI) throw new Error(`CI=true and ${missing}`);
        console.warn(`skipping the simple-whip-client test: ${missing}`);
        return ctx.skip();
      }
      const browser = pool.browsers[0] ?? (await pool.launch());
      const viewer = await pool.openPage(browser, "sfu-viewer");
      await viewer.page.goto(new URL("/?room=whip-sfu-e2e&name=Viewer&role=viewer&mode=sfu", server.url).toString());
      await waitConnected(viewer);
      const whipClient = startWhipClient({ endpoint: `${server.url}/whip/whip-sfu-e2e?name=Forwarded`, colour: 0xff0000ff, toneHz: 660 });
      const remote = '#remotes video[data-name="Forwarded"]';
      await expect
        .poll(() => videoColour(viewer, remote, 0.5, 0.5), {
          timeout: CONNECT_TIMEOUT_MS,
          interval: 300,
          message: `the publisher's blue video in #remotes; ${whipClient.describe()}`,
        })
        .toSatisfy((c: Rgb | null) => near(c, { r: 0, g: 0, b: 255 }));
      await expect
        .poll(() => loudestHz(viewer, remote), { timeout: 30_000, interval: 500, message: "the publisher's 660 Hz tone, forwarded" })
        .toSatisfy((f: number | null) => f !== null && Math.abs(f - 660) < 30);
      expect(await whipClient.stop(), whipClient.describe()).toBe(0);
      await expect.poll(() => viewer.page.locator(remote).count(), { timeout: 10_000 }).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a WHEP player from npm (whip-whep) plays the mix in Chromium from another origin, in the codec each offer prefers",
    async () => {
      const sender = new TestClient({ url: server.url, room: "whep-e2e", name: "Blue", colour: "blue", toneHz: 660 });
      clients.push(sender);
      await sender.connect();

      const browser = pool.browsers[0] ?? (await pool.launch());
      const player = await pool.openPage(browser, "player");
      await player.page.goto(`${pagesOrigin}/`);
      const endpoint = `${server.url}/whep/whep-e2e`;
      const played = await player.page.evaluate(async (endpoint) => {
        const w = window as unknown as {
          WHEPClient: new () => { view(pc: RTCPeerConnection, url: string, token?: string): Promise<void> };
        };
        const play = async (id: string, preferH264: boolean) => {
          const pc = new RTCPeerConnection();
          const video = pc.addTransceiver("video", { direction: "recvonly" });
          pc.addTransceiver("audio", { direction: "recvonly" });
          if (preferH264) {
            const codecs = RTCRtpReceiver.getCapabilities("video")!.codecs;
            video.setCodecPreferences([
              ...codecs.filter((c) => c.mimeType === "video/H264"),
              ...codecs.filter((c) => c.mimeType !== "video/H264"),
            ]);
          }
          const element = document.createElement("video");
          element.id = id;
          element.autoplay = true;
          element.playsInline = true;
          document.body.append(element);
          pc.ontrack = (e) => {
            element.srcObject = e.streams[0] ?? new MediaStream([e.track]);
          };
          (window as unknown as Record<string, RTCPeerConnection>)[id] = pc;
          await new w.WHEPClient().view(pc, endpoint);
        };
        try {
          await play("vp8", false);
          await play("h264", true);
          return "ok";
        } catch (err) {
          return String(err);
        }
      }, endpoint);
      expect(played, await describePage(player)).toBe("ok");

      const blue = { r: 0, g: 0, b: 255 };
      for (const id of ["vp8", "h264"]) {
        await expect
          .poll(() => player.page.evaluate((id) => document.querySelector<HTMLVideoElement>(`#${id}`)?.videoWidth ?? 0, id), {
            timeout: CONNECT_TIMEOUT_MS,
            message: `player ${id} shows the 1280-wide mix`,
          })
          .toBe(1280);
        await expect
          .poll(() => videoColour(player, `#${id}`, 0.5, 0.5), { timeout: 20_000, message: `player ${id} shows Blue's tile` })
          .toSatisfy((c: Rgb | null) => near(c, blue));
        const codec = await player.page.evaluate(async (id) => {
          const pc = (window as unknown as Record<string, RTCPeerConnection>)[id];
          const stats = [...(await pc.getStats()).values()];
          const inbound = stats.find((s) => s.type === "inbound-rtp" && s.kind === "video");
          return stats.find((s) => s.type === "codec" && s.id === inbound?.codecId)?.mimeType;
        }, id);
        expect(codec).toBe(id === "vp8" ? "video/VP8" : "video/H264");
      }
      await expect
        .poll(() => loudestHz(player, "#vp8"), {
          timeout: 20_000,
          interval: 500,
          message: "Blue's 660 Hz tone in the player's everyone-mix",
        })
        .toSatisfy((f: number | null) => f !== null && Math.abs(f - 660) < 30);
      // Two players, counted as the room's viewers.
      await sender.waitFor((m) => m.type === "participants" && m.participants.filter((p) => p.role === "viewer").length === 2, 10_000);
    },
    TEST_TIMEOUT_MS,
  );
});
