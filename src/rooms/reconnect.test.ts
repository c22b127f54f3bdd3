import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, FakePeer, fakeRoomMedia } from "../../test/fakes/roomMedia.js";
import { defaultConfig, type Config } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { capability } from "./capabilities.js";
import type { ConferenceRoom } from "./conferenceRoom.js";
import { McuRoom } from "./mcuRoom.js";
import { MeshRoom } from "./meshRoom.js";
import type { RoomContext } from "./roomContext.js";
import { SfuRoom } from "./sfuRoom.js";

// The reconnect rules (a dropped participant's held place, the resume key) with fake peers and a fake
// mixer and fake time. Real werift clients and real Chromium do the same in test/integration and test/e2e.

const GRACE_MS = 15_000;

function makeRoom<R extends ConferenceRoom>(Room: new (context: RoomContext) => R, overrides: Partial<Config> = {}) {
  const media = fakeRoomMedia();
  const context: RoomContext = {
    name: "unit",
    config: { ...defaultConfig, maxSenders: 3, connectTimeoutMs: 5000, reconnectGraceMs: GRACE_MS, ...overrides },
    log: silentLogger,
    processes: new ProcessGroup(),
    recordings: new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-unit-"))),
    media,
  };
  return { room: new Room(context), media };
}

function join1(room: ConferenceRoom, name: string, role: "sender" | "viewer" = "sender") {
  const channel = new FakeChannel();
  const admitted = room.admit(name, role, channel);
  if (!admitted.ok) throw new Error(admitted.message);
  return { channel, participant: admitted.participant };
}

/** Someone whose media is up, so the connect deadline leaves them alone. */
function joinConnected(room: ConferenceRoom, name: string) {
  const joined = join1(room, name);
  peerOf(joined.participant).connect();
  return joined;
}

/** The fake peer a room gave a participant (MCU and SFU participants have one). */
function peerOf(participant: object): FakePeer {
  return (participant as { peer: FakePeer }).peer;
}

describe("reconnecting", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("MCU: a dropped sender keeps their id and tile for the grace period and comes back on a fresh peer with their resume key", async () => {
    const { room, media } = makeRoom(McuRoom);
    const mixer = media.mixers[0];
    const ada = join1(room, "Ada");
    const bo = joinConnected(room, "Bo");
    const id = ada.participant.id;
    await capability(room, "negotiation").offer(id, "v=0");
    media.peers[0].connect();

    await room.disconnected(id, "connection lost (code 1006)");
    // Media stops with the socket: the negotiated peer is closed at once, a fresh one waits.
    expect(media.peers[0].closed).toBe(true);
    expect(peerOf(ada.participant)).not.toBe(media.peers[0]);
    await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(room.list().map((m) => m.id)).toEqual([id, bo.participant.id]);
    expect([...mixer.senders.keys()]).toEqual([id, bo.participant.id]);
    expect(ada.channel.closedWith).toBeUndefined();

    const again = new FakeChannel();
    const resumed = room.resume(ada.participant.resumeKey, again);
    expect(resumed).toMatchObject({ ok: true, participant: { id, name: "Ada" } });
    // The same place: same tile order, no leave or join seen by anyone.
    expect([...mixer.senders.keys()]).toEqual([id, bo.participant.id]);
    await expect(capability(room, "negotiation").offer(id, "v=0 again")).resolves.toBe("v=0 fake answer");
    const fresh = peerOf(ada.participant);
    expect(fresh).toBe(media.peers.at(-1));
    fresh.connect();
    // The held place is no longer running out.
    await vi.advanceTimersByTimeAsync(GRACE_MS * 2);
    expect(room.list().map((m) => m.id)).toContain(id);
    // What the room says now reaches the new socket.
    room.setMuted(bo.participant.id, { audio: true });
    await vi.advanceTimersByTimeAsync(200);
    expect(again.messages.some((m) => m.type === "participants")).toBe(true);
  });

  it("MCU: tells the resumed sender its tile size again", async () => {
    const { room, media } = makeRoom(McuRoom);
    const mixer = media.mixers[0];
    const ada = join1(room, "Ada");
    mixer.layout = new Map([[ada.participant.id, { x: 0, y: 0, width: 640, height: 360 }]]);
    await room.disconnected(ada.participant.id, "gone");
    const again = new FakeChannel();
    room.resume(ada.participant.resumeKey, again);
    await vi.advanceTimersByTimeAsync(0);
    expect(again.messages.filter((m) => m.type === "tile")).toEqual([expect.objectContaining({ width: 640, height: 360 })]);
  });

  it("removes a dropped participant once the grace period has passed, tile and all; the key is then unknown", async () => {
    const { room, media } = makeRoom(McuRoom);
    const mixer = media.mixers[0];
    const ada = join1(room, "Ada");
    const bo = joinConnected(room, "Bo");
    await room.disconnected(ada.participant.id, "connection lost (code 1006)");
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(room.list().map((m) => m.name)).toEqual(["Bo"]);
    expect([...mixer.senders.keys()]).toEqual([bo.participant.id]);
    expect(room.resume(ada.participant.resumeKey, new FakeChannel())).toBeUndefined();
  });

  it("tells a session that is still open `replaced` when a new socket resumes it", async () => {
    const { room } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    const again = new FakeChannel();
    expect(room.resume(ada.participant.resumeKey, again)?.ok).toBe(true);
    expect(ada.channel.closedWith).toBe("replaced");
    expect(again.closedWith).toBeUndefined();
    expect(room.list()).toHaveLength(1);
  });

  it("knows no other key: an unknown or empty one is not a participant", () => {
    const { room } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    expect(room.resume("not-a-key", new FakeChannel())).toBeUndefined();
    expect(room.resume(ada.participant.resumeKey.slice(1), new FakeChannel())).toBeUndefined();
    expect(ada.participant.resumeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(join1(room, "Bo").participant.resumeKey).not.toBe(ada.participant.resumeKey);
  });

  it("gives a resumed participant CONNECT_TIMEOUT_MS to connect again, as at a join", async () => {
    const { room } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    joinConnected(room, "Bo");
    await room.disconnected(ada.participant.id, "gone");
    await vi.advanceTimersByTimeAsync(4000);
    const again = new FakeChannel();
    room.resume(ada.participant.resumeKey, again);
    await vi.advanceTimersByTimeAsync(4999);
    expect(again.errors("offer-timeout")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(again.errors("offer-timeout")).toHaveLength(1);
    expect(room.list().map((m) => m.name)).toEqual(["Bo"]);
  });

  it("holds the place of a participant whose media connection failed after it was up, and removes one whose never came up", async () => {
    const { room, media } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    const bo = join1(room, "Bo");
    media.peers[0].connect();
    media.peers[0].emit("failed", "ICE failed: consent expired", "ice");
    await vi.advanceTimersByTimeAsync(0);
    expect(ada.channel.errors("ice-failed")).toHaveLength(1);
    expect(ada.channel.closedWith).toBe("ice-failed");
    expect(room.list().map((m) => m.name)).toEqual(["Ada", "Bo"]);
    expect(room.resume(ada.participant.resumeKey, new FakeChannel())?.ok).toBe(true);

    media.peers[1].emit("failed", "ICE failed: no candidate pair works", "ice");
    await vi.advanceTimersByTimeAsync(0);
    expect(bo.channel.errors("ice-failed")).toHaveLength(1);
    expect(room.list().map((m) => m.name)).toEqual(["Ada"]);
  });

  it("with RECONNECT_GRACE_MS=0, a dropped participant leaves at once and the room closes with its last one", async () => {
    const { room } = makeRoom(McuRoom, { reconnectGraceMs: 0 });
    const ada = join1(room, "Ada");
    expect(room.holdsDroppedParticipants).toBe(false);
    await room.disconnected(ada.participant.id, "gone");
    expect(room.list()).toHaveLength(0);
    expect(room.isClosing).toBe(true);
  });

  it("keeps a room open while its only participant's place is held, and closes it when the place runs out", async () => {
    const { room, media } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    await room.disconnected(ada.participant.id, "gone");
    expect(room.isClosing).toBe(false);
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(room.isClosing).toBe(true);
    expect(media.mixers[0].closed).toBe(true);
  });

  it("a kick of a participant whose place is held removes them for good", async () => {
    const { room } = makeRoom(McuRoom);
    const ada = join1(room, "Ada");
    join1(room, "Bo");
    await room.disconnected(ada.participant.id, "gone");
    await room.remove(ada.participant.id, "kicked");
    expect(room.resume(ada.participant.resumeKey, new FakeChannel())).toBeUndefined();
  });

  it("SFU: a resumed sender keeps the others' forwards of them, and gets the others' streams again on its fresh peer", async () => {
    const { room, media } = makeRoom(SfuRoom);
    const ada = join1(room, "Ada");
    const bo = join1(room, "Bo");
    for (const p of [ada, bo]) await capability(room, "negotiation").offer(p.participant.id, "v=0");
    media.peers[0].connect();
    media.peers[1].connect();
    const boPeer = media.peers[1];
    expect(boPeer.forward(ada.participant.id)).toBeDefined();

    await room.disconnected(ada.participant.id, "connection lost (code 1006)");
    expect(boPeer.forward(ada.participant.id)).toBeDefined();
    const again = new FakeChannel();
    expect(room.resume(ada.participant.resumeKey, again)).toMatchObject({ ok: true, participant: { id: ada.participant.id } });
    await capability(room, "negotiation").offer(ada.participant.id, "v=0 again");
    const fresh = media.peers.at(-1)!;
    expect(peerOf(ada.participant)).toBe(fresh);
    fresh.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(fresh.forward(bo.participant.id)).toBeDefined();
    expect(again.messages.filter((m) => m.type === "offer")).toHaveLength(1);
    // Bo's own m-sections for Ada stay: no renegotiation for Bo.
    expect(bo.channel.messages.filter((m) => m.type === "offer")).toHaveLength(1);
  });

  it("mesh: holds no places; a dropped participant leaves at once", async () => {
    const { room } = makeRoom(MeshRoom);
    const ada = join1(room, "Ada");
    const bo = join1(room, "Bo");
    expect(room.holdsDroppedParticipants).toBe(false);
    await room.disconnected(ada.participant.id, "gone");
    expect(room.list().map((m) => m.id)).toEqual([bo.participant.id]);
    expect(room.resume(ada.participant.resumeKey, new FakeChannel())).toBeUndefined();
  });
});
