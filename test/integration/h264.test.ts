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
 * A browser that prefers H264 (Safari offers it first) sends through the server's H264 input and gets the
 * mix as H264, from a second encoder; a VP8 browser in the same room still gets VP8. Each stream is decoded
 * as the codec its payload type names, so a mislabelled one would not decode.
 */
describe("H264 in an MCU room", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, silentLogger);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("sends the mix as H264 to a client that offers H264 first and as VP8 to a VP8 client, each decoding both tiles", async () => {
    const safari = new TestClient({ url: server.url, room: "h264", name: "Safari", clip: solidColourH264Clip("red"), toneHz: 440 });
    const chrome = new TestClient({ url: server.url, room: "h264", name: "Chrome", colour: "blue", toneHz: 660 });
    clients.push(safari, chrome);
    await safari.connect();
    await chrome.connect();

    const answer = (c: TestClient) => {
      const m = c.messages.find((x) => x.type === "answer");
      return m?.type === "answer" ? m.sdp : "";
    };
    const h264 = payloadTypeIn(answer(safari), "H264");
    expect(h264, "Safari's answer accepts H264").toBeDefined();
    expect(payloadTypeIn(answer(chrome), "H264"), "Chrome offered VP8 only").toBeUndefined();

    // Two senders side by side on 1280x720: Safari (joined first) left, Chrome right.
    for (const viewer of [safari, chrome]) {
      await eventually(
        () => closeTo(viewer.decoder.colourAt(320, 360), RED) && closeTo(viewer.decoder.colourAt(960, 360), BLUE),
        10_000,
        `${viewer === safari ? "Safari" : "Chrome"} sees the H264 red and the VP8 blue`,
      );
    }
    expect([...safari.videoPayloadTypes]).toEqual([h264]);
    expect([...safari.mixCodecsReceived]).toEqual(["h264"]);
    expect([...chrome.mixCodecsReceived]).toEqual(["vp8"]);
    // One encoder per codec, whatever the number of receivers of each.
    const room = server.rooms.all().find((r) => r.name === "h264");
    expect([...(room?.capabilities.mix?.mediaStats.video.outputCodecs ?? [])].sort()).toEqual(["h264", "vp8"]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^tessera_mix_encoders\{codec="h264"\} 1$/m);
    expect(metrics).toMatch(/^tessera_mix_encoders\{codec="vp8"\} 1$/m);

    // Safari's picture loss is answered by an IDR on its own stream (the periodic one is 10 s away).
    const sentAt = performance.now();
    await safari.sendPictureLoss();
    await eventually(() => safari.keyframeArrivals.some((t) => t > sentAt), 2000, "an H264 keyframe after Safari's PLI");
  });

  it("sends the mix as VP8, labelled VP8, to an H264 sender whose offer puts VP8 first", async () => {
    const sender = new TestClient({
      url: server.url,
      room: "h264-vp8-first",
      name: "Sender",
      clip: solidColourH264Clip("red"),
      toneHz: 440,
      videoCodecs: ["vp8", "h264"],
    });
    clients.push(sender);
    await sender.connect();
    const answer = sender.messages.find((m) => m.type === "answer");
    const vp8 = payloadTypeIn(answer?.type === "answer" ? answer.sdp : "", "VP8");
    await eventually(() => closeTo(sender.decoder.colourAt(640, 360), RED), 10_000, "the sender sees its own H264 red in the VP8 mix");
    expect([...sender.videoPayloadTypes]).toEqual([vp8]);
    expect([...sender.mixCodecsReceived]).toEqual(["vp8"]);
  });

  it("gives a viewer that offers H264 only the H264 mix", async () => {
    const viewer = new TestClient({ url: server.url, room: "h264-only", name: "Set-top box", role: "viewer", videoCodecs: ["h264"] });
    clients.push(viewer);
    await viewer.connect();
    await eventually(() => viewer.decoder.framesDecoded > 0, 10_000, "the set-top box decodes the H264 mix (name cards)");
    expect([...viewer.mixCodecsReceived]).toEqual(["h264"]);
  });

  it("refuses an offer whose only H264 is packetization-mode 0, naming what the mix needs", async () => {
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/ws");
    const messages: ServerMessage[] = [];
    ws.on("message", (d) => messages.push(readServerMessage(d)));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(JSON.stringify({ type: "join", room: "h264-mode0", name: "Old", role: "viewer" }));
    await eventually(() => messages.some((m) => m.type === "joined"), 5000, "joined");
    const mode0 = useH264({ parameters: "profile-level-id=42e01f;packetization-mode=0;level-asymmetry-allowed=1" });
    const pc = new RTCPeerConnection({ codecs: { video: [mode0], audio: [useOPUS()] }, iceServers: [] });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    const offer = await pc.createOffer();
    ws.send(JSON.stringify({ type: "offer", sdp: offer.sdp }));
    await eventually(() => messages.some((m) => m.type === "error"), 5000, "the offer is answered with an error");
    const error = messages.find((m) => m.type === "error");
    expect(error).toMatchObject({ code: "no-usable-codec" });
    expect(error?.type === "error" && error.message).toMatch(/packetization-mode 1/);
    await pc.close();
    ws.close();
  });

  it("SFU: forwards an H264 sender's packets labelled H264 to those who negotiated it, and not to VP8-only receivers", async () => {
    const safari = new TestClient({
      url: server.url,
      room: "sfu-h264",
      name: "Safari",
      clip: solidColourH264Clip("red"),
      toneHz: 440,
      mode: "sfu",
    });
    const ipad = new TestClient({
      url: server.url,
      room: "sfu-h264",
      name: "iPad",
      clip: solidColourH264Clip("lime"),
      toneHz: 550,
      mode: "sfu",
    });
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
