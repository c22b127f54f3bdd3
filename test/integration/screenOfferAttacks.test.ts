// Issue 22 against issue 18's standard: a screen offer is input from outside like a camera's. A malformed one,
// one from a viewer and one with no join at all are refused with a clear code; none ends the sender's call,
// starts a share, or stops the room's media; a proper share still works afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { solidColourClip } from "../helpers/fixtures.js";
import { TestClient } from "../helpers/testClient.js";
import type { ServerMessage } from "../../protocol/messages.js";

const ROOM = "screen-offers";
/** An offer that passes the message schema and fails the checks before werift: no ICE credentials, a bad fingerprint. */
const MALFORMED_OFFER = [
  "v=0",
  "o=- 1 1 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=mid:0",
  "a=sendonly",
  "a=fingerprint:sha-256 not-a-fingerprint",
  "a=rtpmap:96 VP8/90000",
  "",
].join("\r\n");

describe("screen offers from outside (issue 22, issue 18's rules)", () => {
  let server: RunningServer;
  let ada: TestClient;
  let viewer: TestClient;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    ada = new TestClient({ url: server.url, room: ROOM, name: "Ada", clip: solidColourClip("red"), toneHz: 440, decode: false });
    viewer = new TestClient({ url: server.url, room: ROOM, name: "Vic", role: "viewer", decode: false });
    for (const c of [ada, viewer]) await c.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([ada, viewer].map((c) => c?.close()));
    await server?.close();
  });

  const errorAfter = (client: TestClient, from: number) =>
    client.waitFor((m) => m.type === "error", 10_000, from) as Promise<Extract<ServerMessage, { type: "error" }>>;

  it("refuses a malformed screen offer with screen-failed, and the sender's call goes on", async () => {
    const from = ada.messages.length;
    const audioBefore = viewer.receivedAudio.length;
    ada.send({ type: "screenOffer", sdp: MALFORMED_OFFER });
    const error = await errorAfter(ada, from);
    expect(error.code).toBe("screen-failed");
    expect(error.message).toMatch(/screen could not be shared/);
    // No share was announced, and the room's sound still reaches the viewer.
    expect(ada.messages.slice(from).some((m) => m.type === "screen")).toBe(false);
    await eventually(() => viewer.receivedAudio.length > audioBefore + 25, 10_000, "the viewer still hears the room");
  });

  it("refuses a viewer's screen offer: only a sender shares", async () => {
    const from = viewer.messages.length;
    viewer.send({ type: "screenOffer", sdp: MALFORMED_OFFER });
    const error = await errorAfter(viewer, from);
    // Refused before any connection is made (its code is screen-busy today; the message says why).
    expect(error.message).toMatch(/viewers cannot share a screen/);
    expect(viewer.messages.slice(from).some((m) => m.type === "screen")).toBe(false);
  });

  it("still takes a proper share afterwards", async () => {
    await ada.shareScreen(solidColourClip("blue", 2, "640x360"));
    await viewer.waitFor((m) => m.type === "screen" && m.id === ada.id, 10_000);
    await ada.stopScreen();
  });
});
