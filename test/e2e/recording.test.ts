// End-to-end: the record button and the REC indicator in real Chromium, and Chromium playing and
// seeking the finished recording straight from the API (which serves it with Range).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";

const TOKEN = "e2e-recording-token";

function recordingSuite(): void {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const pool = new BrowserPool();
  const dir = mkdtempSync(join(tmpdir(), "tessera-e2e-rec-"));

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, recordingsDir: dir });
    await pool.launch();
  });

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const recShown = (tp: TestPage) =>
    tp.page.evaluate(() => ({ rec: !document.querySelector<HTMLElement>("#rec")!.hidden, view: window.tessera.recording?.id ?? null }));

  it("the record button starts and stops the room's recording, and everyone sees REC; Chromium plays and seeks the file", async () => {
    const url = (q: string) => new URL(`/?${q}`, server!.url).toString();
    const alice = await pool.openPage(pool.browsers[0], "Alice");
    await alice.page.goto(url("room=e2erec&name=Alice"));
    await waitConnected(alice);
    const viewer = await pool.openPage(pool.browsers[0], "Viewer");
    await viewer.page.goto(url("room=e2erec&name=Vic&role=viewer"));
    await waitConnected(viewer);
    expect(await recShown(viewer)).toEqual({ rec: false, view: null });

    expect(await alice.page.locator("#record").isVisible(), `the record button is shown in an MCU room: ${await describePage(alice)}`).toBe(
      true,
    );
    await alice.page.click("#record");
    for (const tp of [alice, viewer]) {
      await expect
        .poll(() => recShown(tp), { timeout: 10_000 })
        .toMatchObject({ rec: true, view: expect.stringMatching(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/) });
    }
    expect(await alice.page.locator("#record").textContent()).toBe("Stop recording");
    const id = (await recShown(alice)).view!;
    await new Promise((r) => setTimeout(r, 3000));
    await alice.page.click("#record");
    for (const tp of [alice, viewer]) await expect.poll(() => recShown(tp), { timeout: 10_000 }).toEqual({ rec: false, view: null });

    const info = (await (await fetch(`${server!.url}/api/recordings`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as {
      recordings: RecordingInfo[];
    };
    const recording = info.recordings.find((r) => r.id === id);
    expect(recording?.durationMs).toBeGreaterThan(2000);

    // A browser fetching the file sends the token like any API client; seeking makes it ask for ranges.
    const player = await pool.openPage(pool.browsers[0], "Player");
    await player.context.setExtraHTTPHeaders({ Authorization: `Bearer ${TOKEN}` });
    await player.page.goto(new URL("/healthz", server!.url).toString());
    const played = await player.page.evaluate(async (src) => {
      const v = document.createElement("video");
      v.muted = true;
      v.src = src;
      document.body.append(v);
      await new Promise<void>((resolve, reject) => {
        v.onloadedmetadata = () => resolve();
        v.onerror = () => reject(new Error(`media error ${v.error?.code}: ${v.error?.message}`));
      });
      const duration = v.duration;
      v.currentTime = duration / 2;
      await new Promise<void>((resolve) => (v.onseeked = () => resolve()));
      await new Promise<void>((resolve) => (v.readyState >= 2 ? resolve() : (v.onloadeddata = () => resolve())));
      return {
        duration,
        at: v.currentTime,
        width: v.videoWidth,
        height: v.videoHeight,
        seekable: v.seekable.length ? v.seekable.end(0) : 0,
      };
    }, `${server!.url}/api/recordings/${id}`);
    expect(played.duration).toBeCloseTo(recording!.durationMs! / 1000, 0);
    expect(played.at).toBeGreaterThan(played.duration / 2 - 1);
    expect(played.seekable).toBeGreaterThan(played.duration - 0.5);
    expect([played.width, played.height]).toEqual([1280, 720]);
  });
}

describeWithChromium("recording in real Chromium", recordingSuite);
