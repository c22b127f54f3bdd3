import { EventEmitter } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { fakeRoomMedia, UNUSABLE_OFFER } from "../../test/fakes/roomMedia.js";
import { defaultConfig, type Config } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { RoomRegistry } from "../rooms/roomRegistry.js";
import type { ServerMessage } from "../../protocol/messages.js";
import { SignalingSession } from "./signalingSession.js";

// The signaling rules with a fake socket and rooms on fake media: ordering, refusals, the socket's life.

/** The part of a ws WebSocket a session uses. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly received: ServerMessage[] = [];
  closedWith: number | undefined;
  send(text: string): void {
    this.received.push(JSON.parse(text) as ServerMessage);
  }
  close(code: number): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = code;
    this.readyState = 3;
    this.emit("close", code);
  }
  /** A client's text frame. */
  deliver(message: unknown): void {
    this.emit("message", Buffer.from(JSON.stringify(message)), false);
  }
  errors(code: string): ServerMessage[] {
    return this.received.filter((m) => m.type === "error" && m.code === code);
  }
}

function setUp(overrides: Partial<Config> = {}) {
  const config: Config = { ...defaultConfig, ...overrides };
  const media = fakeRoomMedia();
  const rooms = new RoomRegistry(
    config,
    silentLogger,
    new ProcessGroup(),
    new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-sig-"))),
    media,
  );
  const connect = () => {
    const socket = new FakeSocket();
    new SignalingSession(socket as unknown as WebSocket, rooms, config, silentLogger);
    return socket;
  };
  return { rooms, media, connect };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("SignalingSession", () => {
  it("handles one socket's messages in order: a candidate sent right after an offer waits for the answer", async () => {
    const { media, connect } = setUp();
    const s = connect();
    s.deliver({ type: "join", room: "order", name: "Ada" });
    s.deliver({ type: "offer", sdp: "v=0" });
    s.deliver({ type: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" } });
    await settle();
    expect(s.received.map((m) => m.type).filter((t) => t !== "participants")).toEqual(["joined", "answer"]);
    expect(s.errors("bad-message")).toHaveLength(0);
    expect(media.peers[0].candidates).toHaveLength(1);
  });

  it("sends joined first: the roster the room sends while admitting someone follows it", async () => {
    const { connect } = setUp();
    const first = connect();
    first.deliver({ type: "join", room: "first", name: "Ada" });
    await settle();
    const second = connect();
    second.deliver({ type: "join", room: "first", name: "Bo" });
    // The roster goes out at most every 100 ms (baseRoom.ts): wait for Bo's.
    await new Promise((r) => setTimeout(r, 150));
    for (const s of [first, second]) {
      const types = s.received.map((m) => m.type);
      expect(types[0]).toBe("joined");
      expect(types.indexOf("participants")).toBeGreaterThan(0);
    }
    // Ada's own roster was sent during her admission, before her joined went out: it reached her after it.
    const rosters = first.received.filter((m) => m.type === "participants");
    expect(rosters.map((m) => (m.type === "participants" ? m.participants.map((p) => p.name) : []))).toEqual([["Ada"], ["Ada", "Bo"]]);
  });

  it("answers each refused offer with its own error and keeps the participant, once", async () => {
    const { rooms, connect } = setUp();
    const s = connect();
    s.deliver({ type: "join", room: "refused", name: "Ada" });
    for (let i = 0; i < 6; i++) s.deliver({ type: "offer", sdp: UNUSABLE_OFFER });
    await settle();
    expect(s.errors("no-usable-codec")).toHaveLength(6);
    expect(s.closedWith).toBeUndefined();
    expect(rooms.get("refused")?.list()).toHaveLength(1);
    s.close(1000);
    await settle();
    expect(rooms.get("refused")).toBeUndefined();
  });

  it("ignores what arrives after the socket closed: a late join makes no participant", async () => {
    const { rooms, connect } = setUp();
    const s = connect();
    s.close(1000);
    s.deliver({ type: "join", room: "late", name: "Ghost" });
    await settle();
    expect(rooms.all()).toHaveLength(0);
  });

  it("refuses a room beyond MAX_ROOMS with a fatal server-full", async () => {
    const { connect } = setUp({ maxRooms: 1 });
    const a = connect();
    a.deliver({ type: "join", room: "one", name: "Ada" });
    const b = connect();
    b.deliver({ type: "join", room: "two", name: "Bo" });
    await settle();
    // One wording (roomEntry.ts's serverFull), whichever step of the join found the server full.
    expect(b.errors("server-full")).toEqual([
      { type: "error", code: "server-full", message: "this server already holds its maximum of 1 rooms; try again later" },
    ]);
    expect(b.closedWith).toBe(1008);
    expect(a.closedWith).toBeUndefined();
  });

  it("drops messages over the rate limit with one rate-limited error, and keeps the socket", async () => {
    const { connect } = setUp();
    const s = connect();
    s.deliver({ type: "join", room: "flood", name: "Ada" });
    for (let i = 0; i < 200; i++) s.deliver({ type: "mute", audio: true });
    await settle();
    expect(s.errors("rate-limited")).toHaveLength(1);
    expect(s.closedWith).toBeUndefined();
  });

  it("answers a mode's missing capability with wrong-mode", async () => {
    const { connect } = setUp();
    const s = connect();
    s.deliver({ type: "join", room: "meshy", name: "Ada", mode: "mesh" });
    s.deliver({ type: "offer", sdp: "v=0" });
    s.deliver({ type: "record", action: "start" });
    await settle();
    expect(s.errors("wrong-mode").map((m) => m.type === "error" && m.message)).toEqual([
      "this is a mesh room: send offers and candidates to other participants with signal, not to the server",
      'room "meshy" has no composite to record: recording applies to mcu rooms',
    ]);
  });

  it("keeps a participant whose socket drops (1006) and takes them back, same id, on a socket that sends their resume key", async () => {
    const { rooms, connect } = setUp();
    const first = connect();
    first.deliver({ type: "join", room: "back", name: "Ada" });
    await settle();
    const joined = first.received.find((m) => m.type === "joined");
    if (joined?.type !== "joined" || joined.resume === undefined) throw new Error("joined carries no resume key");
    first.emit("close", 1006);
    await settle();
    expect(
      rooms
        .get("back")
        ?.list()
        .map((m) => m.id),
    ).toEqual([joined.id]);

    const second = connect();
    second.deliver({ type: "join", room: "back", name: "Ada", resume: joined.resume });
    await settle();
    expect(second.received.find((m) => m.type === "joined")).toMatchObject({ id: joined.id, resume: joined.resume });
    expect(rooms.get("back")?.list()).toHaveLength(1);
  });

  it("says `replaced` to the old socket when a new one resumes it while it is still open", async () => {
    const { rooms, connect } = setUp();
    const first = connect();
    first.deliver({ type: "join", room: "twice", name: "Ada" });
    await settle();
    const joined = first.received.find((m) => m.type === "joined");
    if (joined?.type !== "joined") throw new Error("not joined");
    const second = connect();
    second.deliver({ type: "join", room: "twice", name: "Ada", resume: joined.resume });
    await settle();
    expect(first.received.at(-1)).toEqual({ type: "bye", reason: "replaced" });
    expect(first.closedWith).toBe(1000);
    // The old socket's close is not a departure: the participant lives on in the new one.
    expect(
      rooms
        .get("twice")
        ?.list()
        .map((m) => m.id),
    ).toEqual([joined.id]);
    expect(second.closedWith).toBeUndefined();
  });

  it("treats an unknown resume key as an ordinary join (the server restarted), and a clean close as leaving", async () => {
    const { rooms, connect } = setUp();
    const s = connect();
    s.deliver({ type: "join", room: "fresh", name: "Ada", resume: "a-key-from-a-server-that-restarted" });
    await settle();
    expect(s.received.find((m) => m.type === "joined")).toMatchObject({ type: "joined", room: "fresh" });
    expect(s.errors("bad-join")).toHaveLength(0);
    s.emit("close", 1000);
    await settle();
    expect(rooms.get("fresh")).toBeUndefined();
  });

  it("sends no resume key in a mesh room, and a dropped mesh participant leaves at once", async () => {
    const { rooms, connect } = setUp();
    const a = connect();
    a.deliver({ type: "join", room: "meshy", name: "Ada", mode: "mesh" });
    const b = connect();
    b.deliver({ type: "join", room: "meshy", name: "Bo" });
    await settle();
    expect(a.received.find((m) => m.type === "joined")).not.toHaveProperty("resume");
    a.emit("close", 1006);
    await settle();
    expect(
      rooms
        .get("meshy")
        ?.list()
        .map((m) => m.name),
    ).toEqual(["Bo"]);
  });

  it("tells a newcomer the REC indicator every participant was broadcast: one composition of it (issue 24)", async () => {
    const { connect } = setUp();
    const ada = connect();
    ada.deliver({ type: "join", room: "rec", name: "Ada" });
    ada.deliver({ type: "record", action: "start" });
    await settle();
    const broadcast = ada.received.filter((m) => m.type === "recording");
    expect(broadcast).toHaveLength(1);
    const on = broadcast[0].type === "recording" ? broadcast[0].recording : undefined;
    expect(on).toMatchObject({ startedBy: "Ada" });
    const bo = connect();
    bo.deliver({ type: "join", room: "rec", name: "Bo" });
    await settle();
    const joined = bo.received.find((m) => m.type === "joined");
    // startedAt is time 0 of the media, fixed once the mixer's recording starts, after the first broadcast:
    // the broadcast carries the request's moment, a later joined the media's (a few ms apart here).
    expect(joined?.type === "joined" ? joined.recording : undefined).toEqual({ ...on, startedAt: expect.any(String) });
    ada.deliver({ type: "record", action: "stop" });
    await settle();
    expect(bo.received.filter((m) => m.type === "recording").at(-1)).toEqual({ type: "recording", recording: null });
    const late = connect();
    late.deliver({ type: "join", room: "rec", name: "Cy" });
    await settle();
    expect(late.received.find((m) => m.type === "joined")).toMatchObject({ recording: null });
  });

  it("asks the peer whether an offer was taken: the session, the room and the peer connection never disagree (issue 24)", async () => {
    const { rooms, media, connect } = setUp();
    const candidate = { type: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" } };
    const s = connect();
    s.deliver({ type: "join", room: "offers", name: "Ada" });
    await settle();
    const room = rooms.get("offers")!;
    const id = room.list()[0].id;
    const negotiation = room.capabilities.negotiation!;
    const agree = (offered: boolean) => {
      expect(negotiation.hasOffer(id), "the room").toBe(offered);
      expect(media.peers.at(-1)?.hasOffer, "the participant's current peer").toBe(offered);
    };
    const steps = [
      { send: candidate, reply: { code: "bad-message", message: "send the offer before candidates" }, offered: false },
      { send: { type: "offer", sdp: UNUSABLE_OFFER }, reply: { code: "no-usable-codec" }, offered: false },
      { send: candidate, reply: { code: "bad-message", message: "send the offer before candidates" }, offered: false },
      { send: { type: "offer", sdp: "v=0" }, reply: { type: "answer" }, offered: true },
      { send: candidate, reply: undefined, offered: true },
      {
        send: { type: "offer", sdp: "v=0" },
        reply: { code: "already-negotiated", message: "this connection already sent its offer" },
        offered: true,
      },
    ];
    for (const step of steps) {
      const before = s.received.length;
      s.deliver(step.send);
      await settle();
      const replies = s.received.slice(before).filter((m) => m.type !== "participants");
      if (step.reply) expect(replies, JSON.stringify(step.send)).toEqual([expect.objectContaining(step.reply)]);
      else expect(replies, JSON.stringify(step.send)).toEqual([]);
      agree(step.offered);
    }
    // Back on a new socket with the resume key: a fresh peer, which takes the page's new offer.
    const joined = s.received.find((m) => m.type === "joined");
    if (joined?.type !== "joined") throw new Error("not joined");
    s.emit("close", 1006);
    await settle();
    agree(false);
    const again = connect();
    again.deliver({ type: "join", room: "offers", name: "Ada", resume: joined.resume });
    again.deliver({ type: "offer", sdp: "v=0" });
    await settle();
    expect(again.received.filter((m) => m.type === "answer" || m.type === "error").map((m) => m.type)).toEqual(["answer"]);
    agree(true);
  });
});
