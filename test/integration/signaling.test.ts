import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerMessage } from "../../protocol/messages.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { RawSocket } from "../helpers/rawSocket.js";
import { TestClient } from "../helpers/testClient.js";

describe("signaling: limits and bad input", () => {
  let server: RunningServer;
  const sockets: RawSocket[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], maxSenders: 2 });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.ws.close());
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    expect(server.processes.size).toBe(0);
  });

  const open = async () => {
    const s = await RawSocket.open(server.url);
    sockets.push(s);
    return s;
  };

  it("answers malformed, oversized, binary and unknown messages with named errors and keeps the socket open", async () => {
    const s = await open();
    s.ws.send("{not json");
    expect(await s.error()).toMatchObject({ code: "bad-json" });
    s.ws.send(JSON.stringify({ type: "teleport" }));
    expect(await s.error()).toMatchObject({ code: "unknown-type", message: expect.stringContaining("teleport") });
    s.ws.send(JSON.stringify({ type: "offer", sdp: "x".repeat(80_000) }));
    expect(await s.error()).toMatchObject({ code: "too-large" });
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.error()).toMatchObject({ code: "binary-not-supported" });
    s.ws.send(JSON.stringify({ type: "offer", sdp: "v=0" }));
    expect(await s.error()).toMatchObject({ code: "not-joined" });
    s.ws.send(JSON.stringify({ type: "mute", audio: "loud" }));
    expect(await s.error()).toMatchObject({ code: "bad-message", message: expect.stringContaining("audio") });
    expect(s.closedWith).toBeUndefined();
    s.ws.send(JSON.stringify({ type: "join", room: "../../etc", name: "x" }));
    expect(await s.error()).toMatchObject({ code: "bad-join", message: expect.stringContaining("room") });
  });

  it("refuses the third sender with room-full, admits viewers, and leaves the others undisturbed", async () => {
    const a = new TestClient({ url: server.url, room: "small", name: "A", colour: "red", toneHz: 440 });
    const b = new TestClient({ url: server.url, room: "small", name: "B", colour: "green", toneHz: 660 });
    clients.push(a, b);
    await a.connect();
    await b.connect();
    const c = new TestClient({ url: server.url, room: "small", name: "C", colour: "blue" });
    clients.push(c);
    await expect(c.connect()).rejects.toThrow(/room-full/);
    const v = new TestClient({ url: server.url, room: "small", name: "Viewer", role: "viewer" });
    clients.push(v);
    await v.connect();
    await v.waitFor((m) => m.type === "participants" && m.participants.length === 3);

    const before = a.decoder.framesDecoded;
    // Garbage from a participant that already joined: errors for it, nothing for anyone else.
    const rogue = await open();
    rogue.ws.send(JSON.stringify({ type: "join", room: "small", name: "Rogue", role: "viewer" }));
    await rogue.next("joined");
    rogue.ws.send(JSON.stringify({ type: "join", room: "small", name: "Again" }));
    expect(await rogue.error()).toMatchObject({ code: "already-joined" });
    rogue.ws.send(JSON.stringify({ type: "offer", sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n" }));
    expect(await rogue.error()).toMatchObject({ code: "no-usable-codec", message: expect.stringContaining("video") });
    rogue.ws.send(
      JSON.stringify({
        type: "offer",
        sdp: "v=0\r\nm=video 9 X 96\r\na=rtpmap:96 VP8/90000\r\nm=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\nthis is not sdp",
      }),
    );
    expect(await rogue.error()).toMatchObject({ code: "bad-offer", message: expect.stringContaining("a=ice-ufrag") });
    // Still streaming (a disturbed room would stall); a busy machine may decode fewer than 30 a second.
    await new Promise((r) => setTimeout(r, 2000));
    expect(a.decoder.framesDecoded - before).toBeGreaterThanOrEqual(10);
    expect(a.messages.some((m) => m.type === "error")).toBe(false);
    rogue.ws.close();
  });

  it("removes a participant whose socket closes and re-lays the grid for the others", async () => {
    const [a, b] = clients;
    const from = a.messages.length;
    await b.close();
    await a.waitFor((m) => m.type === "tile" && m.width === 1280 && m.height === 720, 5000, from);
    const names = (m: ServerMessage) =>
      m.type === "participants"
        ? m.participants
            .map((p) => p.name)
            .sort()
            .join(",")
        : "";
    // The rogue viewer's socket closed too; both departures must show in the roster.
    await a.waitFor((m) => names(m) === "A,Viewer", 5000, from);
    expect(
      server.rooms
        .get("small")
        ?.list()
        .map((p) => p.name)
        .sort(),
    ).toEqual(["A", "Viewer"]);
  });
});
