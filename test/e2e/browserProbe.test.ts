// The browser latency bench's probe (bench/browserProbe.ts) in real Chromium against the real server: a page
// joining an MCU room with the probe's canvas camera reports every step of joining, in order, up to the
// first mixed picture, and reads its own drawing times back from the mix. It asserts that the breakdown and
// the readings exist and make sense, not how fast anything is (that is bench/browserLatency.ts's job).

import { afterAll, beforeAll, expect, it } from "vitest";
import { installProbe, JOIN_STEPS, NAME_SHIM, type ProbeReport } from "../../bench/browserProbe.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TEST_TIMEOUT_MS = 90_000;

describeWithChromium("browser latency probe (real Chromium)", () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  let tp: TestPage;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    tp = await pool.openPage(await pool.launch(), "Prober");
    await tp.page.addInitScript(NAME_SHIM);
    await tp.page.addInitScript(installProbe, "video#mixed");
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
  }, TEST_TIMEOUT_MS);

  it(
    "reports every step from navigation to the first mixed picture, in order, and reads its drawings back from the mix",
    async () => {
      await tp.page.goto(new URL("/?room=probe&name=Prober&mode=mcu", server!.url).toString());
      await waitConnected(tp);
      // Bounded: 60 polls of 250 ms for a handful of readable pictures.
      let report: ProbeReport | undefined;
      for (let i = 0; i < 60; i++) {
        report = await tp.page.evaluate(() => window.__probe);
        if (report.frames.length >= 10) break;
        await tp.page.waitForTimeout(250);
      }
      const marks = report!.marks;
      const missing = JOIN_STEPS.filter((step) => marks[step] === undefined);
      expect(missing, `steps not reported: ${await describePage(tp)}`).toEqual([]);
      // The causal chain, each after the one before (others, such as gathering, overlap legitimately).
      const chain = [
        "getUserMediaDone",
        "socketOpen",
        "message:joined",
        "sent:offer",
        "message:answer",
        "ice:connected",
        "pc:connected",
      ] as const;
      for (let i = 1; i < chain.length; i++)
        expect(marks[chain[i]], `${chain[i]} before ${chain[i - 1]}`).toBeGreaterThanOrEqual(marks[chain[i - 1]]);
      // Packets come after ICE; the connection's state event and the first packet's getStats race by a few ms.
      expect(marks.firstVideoPacket).toBeGreaterThan(marks["ice:connected"]);
      expect(marks.firstFramePresented).toBeGreaterThan(marks["pc:connected"]);

      // Its own picture, full frame in a one-tile mix: the codes decode, and each was drawn before it showed.
      const frames = report!.frames;
      expect(frames.length, `pictures read from the mix (unreadable: ${report!.unreadable})`).toBeGreaterThanOrEqual(10);
      for (const f of frames) {
        expect(f.displayAt - f.drawnAt).toBeGreaterThan(0);
        // A misread code would put the drawing hours away; a real one is seconds old at most.
        expect(f.displayAt - f.drawnAt).toBeLessThan(30_000);
      }
    },
    TEST_TIMEOUT_MS,
  );
});
