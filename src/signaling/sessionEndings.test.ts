import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { parseServerMessage } from "../../protocol/parse.js";
import type { ServerMessage } from "../../protocol/messages.js";
import { defaultConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { NegotiationError } from "../peers/peerConnection.js";
import { type ConferenceRoom } from "../rooms/conferenceRoom.js";
import { RecordingStateError } from "../rooms/errors.js";
import type { Member, ParticipantChannel } from "../rooms/participant.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { SignalingSession } from "./signalingSession.js";

/** The socket as the session uses it: what it sent, and how it was closed. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;

  send(text: string): void {
    // Everything the session sends must be a message the client accepts as it is.
    const parsed = parseServerMessage(text);
    if (!parsed.ok) throw new Error(`the session sent an invalid message: ${parsed.problem}: ${text}`);
    expect(parsed.message).toEqual(JSON.parse(text));
    this.sent.push(parsed.message);
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
    this.readyState = 3;
  }

  receive(message: unknown): void {
    this.emit("message", Buffer.from(typeof message === "string" ? message : JSON.stringify(message)), false);
  }
}

/** What a fake room's capabilities may be told to do instead of succeeding. */
interface FakeRoomBehaviour {
  offer?: () => Promise<string>;
  startRecording?: () => Promise<never>;
}

/** A room that admits everyone and records what signaling asked of it. */
function fakeRoom(behaviour: FakeRoomBehaviour = {}) {
  const removed: string[] = [];
  let channel: ParticipantChannel | undefined;
  const room = {
    name: "r",
    mode: "mcu",
    isClosing: false,
    capabilities: {
      negotiation: { offer: behaviour.offer ?? (async () => "v=0\r\n"), hasOffer: () => false, candidate: async () => undefined },
      recording: {
        activeRecording: undefined,
        recordingState: null,
        startRecording: behaviour.startRecording ?? (async () => undefined),
        stopRecording: async () => undefined,
      },
    },
    admit(name: string, role: Member["role"], ch: ParticipantChannel) {
      channel = ch;
      return { ok: true, participant: { id: "p1", name, role, joinedAt: new Date(), channel: ch, audioMuted: false, videoMuted: false } };
    },
    list: () => [],
    remove: async (id: string, reason: string) => void removed.push(`${id}:${reason}`),
    setMuted: () => undefined,
  } as unknown as ConferenceRoom;
  return { room, removed, channel: () => channel! };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

async function joinedSession(room: ConferenceRoom) {
  const socket = new FakeSocket();
  const rooms = { get: () => undefined, getOrCreate: () => room } as unknown as RoomRegistry;
  new SignalingSession(socket as unknown as WebSocket, rooms, defaultConfig, silentLogger);
  socket.receive({ type: "join", room: "r", name: "Ada" });
  await settle();
  expect(socket.sent[0]).toMatchObject({ type: "joined", id: "p1", mode: "mcu", participants: [], recording: null });
  return socket;
}

describe("SignalingSession: how a session ends", () => {
  it("ends on a fatal error the room reports: bye with its code, then a normal close; the room removes them itself", async () => {
    for (const code of ["ice-failed", "offer-timeout", "room-failed", "server-shutdown"] as const) {
      const { room, removed, channel } = fakeRoom();
      const socket = await joinedSession(room);
      channel().send({ type: "error", code, message: "why" });
      // The room's own close comes after, in its own words: nothing more is sent.
      channel().close("the media connection did not come up within 20 s of joining");
      expect(socket.sent.slice(1)).toEqual([
        { type: "error", code, message: "why" },
        { type: "bye", reason: code },
      ]);
      expect(socket.closedWith).toEqual({ code: 1000, reason: code });
      socket.emit("close");
      await settle();
      expect(removed).toEqual([]);
    }
  });

  it("says a protocol reason when the room closes it, whatever words the room used", async () => {
    for (const [said, reason] of [
      ["kicked", "kicked"],
      ["server-shutdown", "server-shutdown"],
      ["room closed", "room-closed"],
    ]) {
      const { room, channel } = fakeRoom();
      const socket = await joinedSession(room);
      channel().close(said);
      expect(socket.sent.at(-1)).toEqual({ type: "bye", reason });
      expect(socket.closedWith).toEqual({ code: 1000, reason });
    }
  });

  it("refuses a bad join with bad-join, bye and a policy close", async () => {
    const socket = new FakeSocket();
    new SignalingSession(
      socket as unknown as WebSocket,
      { get: () => undefined, getOrCreate: () => undefined } as unknown as RoomRegistry,
      defaultConfig,
      silentLogger,
    );
    socket.receive({ type: "join", room: "../etc", name: "x" });
    await settle();
    expect(socket.sent.map((m) => m.type)).toEqual(["error", "bye"]);
    expect(socket.sent[0]).toMatchObject({ code: "bad-join", message: expect.stringContaining("room") });
    expect(socket.sent[1]).toEqual({ type: "bye", reason: "bad-join" });
    expect(socket.closedWith).toEqual({ code: 1008, reason: "bad-join" });
  });

  it("refuses a join beyond MAX_ROOMS with server-full", async () => {
    const socket = new FakeSocket();
    new SignalingSession(
      socket as unknown as WebSocket,
      { get: () => undefined, getOrCreate: () => undefined } as unknown as RoomRegistry,
      defaultConfig,
      silentLogger,
    );
    socket.receive({ type: "join", room: "r", name: "Ada" });
    await settle();
    expect(socket.sent).toEqual([expect.objectContaining({ type: "error", code: "server-full" }), { type: "bye", reason: "server-full" }]);
    expect(socket.closedWith?.code).toBe(1008);
  });

  it("answers leave with bye left, and takes the participant out", async () => {
    const { room, removed } = fakeRoom();
    const socket = await joinedSession(room);
    socket.receive({ type: "leave" });
    await settle();
    expect(socket.sent.at(-1)).toEqual({ type: "bye", reason: "left" });
    expect(socket.closedWith).toEqual({ code: 1000, reason: "left" });
    expect(removed).toEqual(["p1:left"]);
  });

  it("keeps the session after a non-fatal error, answering a room's refusal with the code it was thrown with", async () => {
    const { room } = fakeRoom({
      offer: async () => {
        throw new NegotiationError("no-usable-codec", "no VP8");
      },
      startRecording: async () => {
        throw new RecordingStateError("already recording");
      },
    });
    const socket = await joinedSession(room);
    socket.receive({ type: "offer", sdp: "v=0" });
    socket.receive({ type: "record", action: "start" });
    socket.receive({ type: "dance" });
    await settle();
    expect(socket.sent.slice(1)).toEqual([
      { type: "error", code: "no-usable-codec", message: "no VP8" },
      { type: "error", code: "recording-state", message: "already recording" },
      { type: "error", code: "unknown-type", message: expect.stringContaining("dance") },
    ]);
    expect(socket.closedWith).toBeUndefined();
  });
});
