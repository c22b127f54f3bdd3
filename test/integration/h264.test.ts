import { RTCPeerConnection, useH264, useOPUS } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { solidColourH264Clip } from "../helpers/fixtures.js";
import { closeTo } from "../helpers/mixedStreamDecoder.js";
import { TestClient } from "../helpers/testClient.js";
import { readServerMessage } from "../helpers/serverMessage.js";

const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };

/** The payload type the answer gives a codec in its video section. */
function payloadTypeIn(sdp: string, codec: string): number | undefined {
  const video = sdp.split(/\r\nm=/).find((s) => s.startsWith("video") || s.startsWith("m=video"));
  const match = new RegExp(`a=rtpmap:(\\d+) ${codec}/90000`, "i").exec(video ?? "");
  return match ? Number(match[1]) : undefined;
}

/**
 * A browser that prefers H264 (Safari offers it first): its RTP goes through the server's H264 input,
 * and the VP8 mix it gets back must carry VP8's payload type, not the first codec of its offer.
 */
describe("H264 senders in an MCU room", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, silentLogger);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("decodes an H264 sender's picture into its tile and sends it the VP8 mix labelled as VP8", async () => {
    const safari = new TestClient({ url: server.url, room: "h264", name: "Safari", clip: solidColourH264Clip("red"), toneHz: 440 });
    const chrome = new TestClient({ url: server.url, room: "h264", name: "Chrome", colour: "blue", toneHz: 660 });
    clients.push(safari, chrome);
    await safari.connect();
    await chrome.connect();

    const answer = safari.messages.find((m) => m.type === "answer");
    const sdp = answer?.type === "answer" ? answer.sdp : "";
    const h264 = payloadTypeIn(sdp, "H264");
    const vp8 = payloadTypeIn(sdp, "VP8");
    expect(h264, "the answer accepts H264").toBeDefined();
    expect(vp8, "the answer keeps VP8 for the mix").toBeDefined();

    // Two senders side by side on 1280x720: Safari (joined first) left, Chrome right.
    for (const viewer of [safari, chrome]) {
      await eventually(() => closeTo(viewer.decoder.colourAt(320, 360), RED) && closeTo(viewer.decoder.colourAt(960, 360), BLUE), 10_000, `${viewer === safari ? "Safari" : "Chrome"} sees the H264 red and the VP8 blue`);
    }
    expect([...safari.videoPayloadTypes]).toEqual([vp8]);
  });

  it("refuses an offer with H264 only, naming VP8 as what the mix needs", async () => {
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/ws");
    const messages: ServerMessage[] = [];
    ws.on("message", (d) => messages.push(readServerMessage(d)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(JSON.stringify({ type: "join", room: "h264", name: "Old", role: "viewer" }));
    await eventually(() => messages.some((m) => m.type === "joined"), 5000, "joined");
    const pc = new RTCPeerConnection({ codecs: { video: [useH264()], audio: [useOPUS()] }, iceServers: [] });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    const offer = await pc.createOffer();
    ws.send(JSON.stringify({ type: "offer", sdp: offer.sdp }));
    await eventually(() => messages.some((m) => m.type === "error"), 5000, "the offer is answered with an error");
    const error = messages.find((m) => m.type === "error");
    expect(error).toMatchObject({ code: "no-usable-codec" });
    expect(error?.type === "error" && error.message).toMatch(/VP8/);
    await pc.close();
    ws.close();
  });

  it("SFU: forwards an H264 sender's packets labelled H264 to those who negotiated it, and not to VP8-only receivers", async () => {
    const safari = new TestClient({ url: server.url, room: "sfu-h264", name: "Safari", clip: solidColourH264Clip("red"), toneHz: 440, mode: "sfu" });
    const ipad = new TestClient({ url: server.url, room: "sfu-h264", name: "iPad", clip: solidColourH264Clip("lime"), toneHz: 550, mode: "sfu" });
    const vp8Only = new TestClient({ url: server.url, room: "sfu-h264", name: "Old", colour: "blue", toneHz: 660, mode: "sfu" });
    clients.push(safari, ipad, vp8Only);
    for (const c of [safari, ipad, vp8Only]) await c.connect();
    const picture = (viewer: TestClient, from: TestClient) => viewer.remotes.get(from.id)?.decoder.colourAt(640, 360);
    await eventually(() => closeTo(picture(ipad, safari), RED), 10_000, "iPad sees Safari's H264 red");
    await eventually(() => closeTo(picture(safari, ipad), { r: 0, g: 255, b: 0 }), 10_000, "Safari sees iPad's H264 green");
    await eventually(() => closeTo(picture(safari, vp8Only), BLUE), 10_000, "Safari sees the VP8 blue");
    // The VP8-only receiver cannot decode H264: it gets nothing from the H264 senders rather than garbage.
    await new Promise((r) => setTimeout(r, 1000));
    expect(vp8Only.remotes.get(safari.id)?.decoder.framesDecoded ?? 0).toBe(0);
    expect(closeTo(picture(vp8Only, safari), RED)).toBe(false);
  });
});
