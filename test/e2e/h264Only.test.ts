// End-to-end, real Chromium: a device that does H264 only. Its browser lists no VP8 (nor VP9, AV1) in
// RTCRtpSender/RTCRtpReceiver.getCapabilities, as older iOS Safari and hardware-only phones and set-top boxes do;
// the page must then offer H264 alone by itself (client/codecs.ts) on every video section it offers or answers.
// Beside it an ordinary Chromium page (VP8 first). MCU: the server decodes the H264 camera into the grid and sends
// the H264-only page the mix in H264 (the other page keeps VP8). SFU: the H264-only camera reaches the other page
// as H264, and a sender who joins after the H264-only page is answered H264 first, so the H264-only page receives
// it in H264 too. Cameras are one colour each (pageMedia.ts), so seeing someone is finding their colour.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomMode } from "../../protocol/messages.js";
import { startServer } from "../../src/server.js";
import { BrowserPool, chromiumEvaluate, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { colourCamera, inboundStreams, localDescriptions, waitForColour, type Rgb } from "../helpers/pageMedia.js";

const TEST_TIMEOUT_MS = 120_000;
const RED: Rgb = [220, 40, 40];
const BLUE: Rgb = [40, 60, 220];
const TOLERANCE = 60;
const SEEN_SHARE = 0.25;

let server: Awaited<ReturnType<typeof startServer>> | undefined;
const pool = new BrowserPool();

/** An init script: the browser says it can send and receive H264 only, as an H264-only device's does. */
function h264OnlyDevice(): void {
  for (const api of [RTCRtpSender, RTCRtpReceiver]) {
    const original = api.getCapabilities.bind(api);
    api.getCapabilities = (kind: string) => {
      const capabilities = original(kind);
      if (!capabilities || kind !== "video") return capabilities;
      return { ...capabilities, codecs: capabilities.codecs.filter((c) => !/^video\/(vp8|vp9|av1)$/i.test(c.mimeType)) };
    };
  }
}

/** The video codecs (rtpmap names) of every video section of every local description the page set. */
async function offeredVideoCodecs(tp: TestPage): Promise<string[][]> {
  const sdps = await tp.page.evaluate(localDescriptions);
  const sections: string[][] = [];
  for (const sdp of sdps) {
    for (const section of sdp.split(/\r\n(?=m=)/).filter((s) => s.startsWith("m=video") && !s.startsWith("m=video 0 "))) {
      sections.push(
        [...section.matchAll(/^a=rtpmap:\d+ ([\w-]+)\//gm)]
          .map((m) => m[1].toUpperCase())
          .filter((c) => !["RTX", "RED", "ULPFEC", "FLEXFEC-03"].includes(c)),
      );
    }
  }
  return sections;
}

/** Every video section the page offered or answered (and did not reject) has H264 and nothing else. */
async function expectH264Only(tp: TestPage): Promise<void> {
  const sections = await offeredVideoCodecs(tp);
  expect(sections.length, "the page has video sections").toBeGreaterThan(0);
  for (const codecs of sections)
    expect(codecs.length > 0 && codecs.every((c) => c === "H264"), `a video section with ${codecs.join(", ") || "no codec"}`).toBe(true);
}

/** Within 30 s, `rgb` covers SEEN_SHARE of a half of `selector`'s picture. */
async function expectColour(tp: TestPage, selector: string, rgb: Rgb, what: string): Promise<void> {
  const failure = await waitForColour(chromiumEvaluate(tp), { selector, rgb, tolerance: TOLERANCE }, SEEN_SHARE);
  expect(failure, `${what}: share left | right, last samples:\n${failure}\n${await describePage(tp)}`).toBeNull();
}

/** The codecs (MIME type, lower case: werift writes "video/h264") of the video the page is receiving and decoding (frames decoded keep rising over 1.5 s). */
async function decodingVideoCodecs(tp: TestPage): Promise<string[]> {
  const video = async () => (await tp.page.evaluate(inboundStreams)).filter((s) => s.kind === "video");
  const before = await video();
  await tp.page.waitForTimeout(1500);
  const after = await video();
  return after.filter((s, i) => s.framesDecoded > (before[i]?.framesDecoded ?? 0)).map((s) => (s.mimeType ?? "unknown").toLowerCase());
}

async function openParticipant(label: string, rgb: Rgb, h264Only: boolean): Promise<TestPage> {
  const tp = await pool.openPage(pool.browsers[0], label);
  // Init scripts run before the page's own, in the order added; each is sent to the page as its source text.
  await tp.page.addInitScript(colourCamera, { rgb });
  if (h264Only) await tp.page.addInitScript(h264OnlyDevice);
  return tp;
}

function roomUrl(query: string): string {
  if (!server) throw new Error("server not started");
  return new URL(`/?${query}`, server.url).toString();
}

async function join(mode: RoomMode): Promise<{ hana: TestPage; cole: TestPage }> {
  const room = `h264-only-${mode}`;
  const hana = await openParticipant(`${mode} Hana (H264 only)`, RED, true);
  const cole = await openParticipant(`${mode} Cole`, BLUE, false);
  await hana.page.goto(roomUrl(`room=${room}&name=Hana&mode=${mode}`));
  await waitConnected(hana);
  await cole.page.goto(roomUrl(`room=${room}&name=Cole&mode=${mode}`));
  await Promise.all([waitConnected(hana), waitConnected(cole)]);
  return { hana, cole };
}

describeWithChromium("an H264-only device (real Chromium)", () => {
  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    await pool.launch();
  }, 60_000);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
  }, 60_000);

  describe("mcu", () => {
    it(
      "offers H264 alone, is decoded into the grid, and receives the mix in H264 while the other page keeps VP8",
      async () => {
        const { hana, cole } = await join("mcu");
        try {
          await expectH264Only(hana);
          expect((await offeredVideoCodecs(cole))[0]?.[0], "the ordinary page offers VP8 first").toBe("VP8");

          // Hana's camera, decoded from H264 by the server, is a tile of the mix both pages play.
          await expectColour(cole, "video#mixed", RED, "Cole sees Hana's tile");
          await expectColour(hana, "video#mixed", BLUE, "Hana sees Cole's tile");
          await expectColour(hana, "video#mixed", RED, "Hana sees her own tile");
          expect(await decodingVideoCodecs(hana), "Hana decodes the mix, in H264").toEqual(["video/h264"]);
          expect(await decodingVideoCodecs(cole), "Cole decodes the mix, in VP8").toEqual(["video/vp8"]);
          const stats = server!.rooms.all().find((r) => r.name === "h264-only-mcu")?.capabilities.mix?.mediaStats.video;
          expect(new Set(stats?.outputCodecs)).toEqual(new Set(["vp8", "h264"]));
        } finally {
          await Promise.allSettled([hana.context.close(), cole.context.close()]);
        }
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe("sfu", () => {
    it(
      "offers and answers H264 alone; its camera reaches the other page in H264, and a sender joining after it is received in H264",
      async () => {
        const { hana, cole } = await join("sfu");
        try {
          const remote = (name: string) => `#remotes video[data-name="${name}"]`;
          await expectColour(cole, remote("Hana"), RED, "Cole sees Hana");
          await expectColour(hana, remote("Cole"), BLUE, "Hana sees Cole");
          expect(await decodingVideoCodecs(cole), "Cole decodes Hana's camera as she sends it, in H264").toEqual(["video/h264"]);
          expect(await decodingVideoCodecs(hana), "Hana decodes Cole's camera in H264").toEqual(["video/h264"]);
          // Her own offer and her answers to the server's offers (Cole's forward): no VP8 anywhere.
          await expectH264Only(hana);
        } finally {
          await Promise.allSettled([hana.context.close(), cole.context.close()]);
        }
      },
      TEST_TIMEOUT_MS,
    );
  });
});
