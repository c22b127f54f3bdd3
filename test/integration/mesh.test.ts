import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { readServerMessage } from "../helpers/serverMessage.js";

class Browserless {
  readonly inbox: ServerMessage[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => this.inbox.push(readServerMessage(d)));
  }
  static async join(
    url: string,
    room: string,
    name: string,
    mode?: string,
  ): Promise<{ client: Browserless; joined: Extract<ServerMessage, { type: "joined" }> }> {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    const client = new Browserless(ws);
    ws.send(JSON.stringify({ type: "join", room, name, ...(mode ? { mode } : {}) }));
    const joined = await client.next("joined");
    return { client, joined: joined as Extract<ServerMessage, { type: "joined" }> };
  }
  send(m: unknown) {
    this.ws.send(JSON.stringify(m));
  }
  async next(type: ServerMessage["type"]): Promise<ServerMessage> {
    for (let i = 0; i < 200; i++) {
      const at = this.inbox.findIndex((m) => m.type === type);
      if (at >= 0) return this.inbox.splice(at, 1)[0];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${type}: ${JSON.stringify(this.inbox)}`);
  }
}

describe("mesh mode: the server relays signaling and nothing else", () => {
  let server: RunningServer;
  const sockets: Browserless[] = [];
  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.ws.close());
    await server?.close();
  });

  it("fixes the mode at creation and relays offers, answers and candidates between members", async () => {
    const { client: ann, joined: annJoined } = await Browserless.join(server.url, "pair", "Ann", "mesh");
    const { client: ben, joined: benJoined } = await Browserless.join(server.url, "pair", "Ben", "mcu");
    sockets.push(ann, ben);
    expect(annJoined.mode).toBe("mesh");
    expect(benJoined.mode).toBe("mesh"); // a later joiner's mode is ignored
    expect(benJoined.participants.map((p) => p.name)).toEqual(["Ann", "Ben"]);

    const offer = { sdp: { type: "offer", sdp: "v=0\r\n(an offer)" } };
    ben.send({ type: "signal", to: annJoined.id, data: offer });
    expect(await ann.next("signal")).toEqual({ type: "signal", from: benJoined.id, data: offer });
    const answer = { sdp: { type: "answer", sdp: "v=0\r\n(an answer)" } };
    ann.send({ type: "signal", to: benJoined.id, data: answer });
    expect(await ben.next("signal")).toEqual({ type: "signal", from: annJoined.id, data: answer });
    const candidate = { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
    ann.send({ type: "signal", to: benJoined.id, data: candidate });
    expect(await ben.next("signal")).toEqual({ type: "signal", from: annJoined.id, data: candidate });
    expect(server.processes.size).toBe(0);
  });

  it("refuses signals to strangers or to yourself, media offers to the server, and signals in other modes", async () => {
    const { client: cat, joined } = await Browserless.join(server.url, "pair2", "Cat", "mesh");
    const { client: stranger, joined: strangerJoined } = await Browserless.join(server.url, "elsewhere", "Dan", "mesh");
    sockets.push(cat, stranger);
    cat.send({ type: "signal", to: strangerJoined.id, data: { candidate: null } });
    expect(await cat.next("error")).toMatchObject({ code: "unknown-participant", message: expect.stringContaining("not in room") });
    expect(stranger.inbox.some((m) => m.type === "signal")).toBe(false);
    cat.send({ type: "signal", to: joined.id, data: { candidate: null } });
    expect(await cat.next("error")).toMatchObject({ code: "bad-message", message: expect.stringContaining("yourself") });
    cat.send({ type: "signal", to: "x", data: {} });
    expect(await cat.next("error")).toMatchObject({ code: "bad-message", message: expect.stringContaining("sdp or a candidate") });
    cat.send({ type: "offer", sdp: "v=0" });
    expect(await cat.next("error")).toMatchObject({ code: "wrong-mode" });

    const { client: mcu } = await Browserless.join(server.url, "mixed-room", "Eve");
    sockets.push(mcu);
    mcu.send({ type: "signal", to: "someone", data: { candidate: null } });
    expect(await mcu.next("error")).toMatchObject({ code: "wrong-mode" });
  });

  it("tells the others when someone leaves, and closes the room after the last", async () => {
    const { client: a } = await Browserless.join(server.url, "leave", "A", "mesh");
    const { client: b, joined } = await Browserless.join(server.url, "leave", "B", "mesh");
    sockets.push(a);
    b.ws.close();
    for (;;) {
      const m = await a.next("participants");
      if (m.type === "participants" && !m.participants.some((p) => p.id === joined.id)) break;
    }
    a.ws.close();
    for (let i = 0; i < 100 && server.rooms.get("leave"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.rooms.get("leave")).toBeUndefined();
  });
});
