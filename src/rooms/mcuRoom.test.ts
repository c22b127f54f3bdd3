import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RtpHeader, RtpPacket } from "werift";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, fakeRoomMedia, UNUSABLE_OFFER } from "../../test/fakes/roomMedia.js";
import { defaultConfig, type Config } from "../config.js";
import { silentLogger, type LogFields, type Logger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { capability } from "./capabilities.js";
import { McuRoom } from "./mcuRoom.js";
import type { RoomContext } from "./roomContext.js";

// Room rules with fake peers and a fake mixer: no network, no ffmpeg, fake time. The media itself is
// tested for real in test/integration.

function makeRoom(overrides: Partial<Config> = {}, log: Logger = silentLogger) {
  const media = fakeRoomMedia();
  const context: RoomContext = {
    name: "unit",
    config: { ...defaultConfig, maxSenders: 2, connectTimeoutMs: 5000, ...overrides },
    log,
    processes: new ProcessGroup(),
    recordings: new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-unit-"))),
    media,
  };
  const room = new McuRoom(context);
  return { room, media, mixer: media.mixers[0] };
}

function join1(room: McuRoom, name: string, role: "sender" | "viewer" = "sender") {
  const channel = new FakeChannel();
  const admitted = room.admit(name, role, channel);
  if (!admitted.ok) throw new Error(admitted.message);
  return { channel, participant: admitted.participant };
}

describe("McuRoom rules", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives senders a tile and a mix without their own voice, viewers the everyone-mix, and refuses a sender too many", () => {
    const { room, mixer } = makeRoom();
    const ada = join1(room, "Ada");
    const vic = join1(room, "Vic", "viewer");
    join1(room, "Bo");
    expect([...mixer.senders.values()]).toEqual(["Ada", "Bo"]);
    expect(mixer.audioListeners.get(ada.participant.id)).toBe(ada.participant.id);
    expect(mixer.audioListeners.get(vic.participant.id)).toBeUndefined();
    expect(mixer.audioListeners.has(vic.participant.id)).toBe(true);
    expect(room.admit("Cy", "sender", new FakeChannel())).toMatchObject({ ok: false, code: "room-full" });
    expect(room.admit("Vera", "viewer", new FakeChannel()).ok).toBe(true);
  });

  it("keeps a participant whose offer was refused, on a fresh peer, and lets them offer again", async () => {
    const { room, media } = makeRoom();
    const { participant } = join1(room, "Ada");
    const negotiation = capability(room, "negotiation");
    await expect(negotiation.offer(participant.id, UNUSABLE_OFFER)).rejects.toMatchObject({ code: "no-usable-codec" });
    expect(media.peers).toHaveLength(2);
    expect(media.peers[0].closed).toBe(true);
    expect(room.list().map((m) => m.id)).toEqual([participant.id]);
    await expect(negotiation.offer(participant.id, "v=0 good")).resolves.toBe("v=0 fake answer");
    await expect(negotiation.offer(participant.id, "v=0 again")).rejects.toMatchObject({ code: "negotiation-failed" });
  });

  it("logs every refused offer with its code, its reason and the offering stack", async () => {
    const warnings: { msg: string; fields?: LogFields }[] = [];
    const log: Logger = { ...silentLogger, warn: (msg, fields) => warnings.push({ msg, fields }), child: () => log };
    const { room } = makeRoom({}, log);
    const { participant } = join1(room, "Ada");
    const negotiation = capability(room, "negotiation");
    await expect(negotiation.offer(participant.id, UNUSABLE_OFFER)).rejects.toMatchObject({ code: "no-usable-codec" });
    await negotiation.offer(participant.id, "v=0\r\no=mozilla...THIS_IS_SDPARTA-153.0 1 0 IN IP4 0.0.0.0");
    await expect(negotiation.offer(participant.id, "v=0\r\no=mozilla...THIS_IS_SDPARTA-153.0 2 0 IN IP4 0.0.0.0")).rejects.toThrow();
    await expect(negotiation.offer("nobody", "v=0")).rejects.toThrow();
    expect(warnings).toEqual([
      { msg: "offer refused", fields: { participant: participant.id, code: "no-usable-codec", reason: "the offer has no video section", origin: undefined } },
      { msg: "offer refused", fields: { participant: participant.id, code: "negotiation-failed", reason: "this participant's connection is already negotiated", origin: "mozilla...THIS_IS_SDPARTA-153.0" } },
      { msg: "offer refused", fields: { participant: "nobody", code: "negotiation-failed", reason: "not in this room", origin: undefined } },
    ]);
  });

  it("drops a participant who never offers with offer-timeout, and one who never connects with ice-failed", async () => {
    const { room, media } = makeRoom();
    const silent = join1(room, "Silent");
    const stuck = join1(room, "Stuck", "viewer");
    const fine = join1(room, "Fine", "viewer");
    await capability(room, "negotiation").offer(stuck.participant.id, "v=0");
    await capability(room, "negotiation").offer(fine.participant.id, "v=0");
    media.peers[2].connect();
    await vi.advanceTimersByTimeAsync(4999);
    expect(room.list()).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(silent.channel.errors("offer-timeout")).toHaveLength(1);
    expect(stuck.channel.errors("ice-failed")).toHaveLength(1);
    expect(silent.channel.closedWith).toBeDefined();
    expect(room.list().map((m) => m.name)).toEqual(["Fine"]);
    expect(fine.channel.errors("ice-failed")).toHaveLength(0);
  });

  it("removes a participant whose connection fails, and closes the room (its mixer, its peers) with the last one", async () => {
    const { room, media, mixer } = makeRoom();
    const ada = join1(room, "Ada");
    const closed = new Promise<void>((resolve) => room.once("closed", resolve));
    media.peers[0].emit("failed", "ICE failed: no candidate pair works", "ice");
    await closed;
    expect(ada.channel.errors("ice-failed")[0]).toMatchObject({ message: "ICE failed: no candidate pair works" });
    expect(mixer.closed).toBe(true);
    expect(media.peers[0].closed).toBe(true);
    expect(room.isClosing).toBe(true);
  });

  // A join that came while the last one's leave was still being waited on was admitted to the closing room,
  // then told bye: the registry must see the room as closing from the first moment.
  it("is closing as soon as its last participant starts leaving", async () => {
    const { room } = makeRoom();
    const ada = join1(room, "Ada");
    const leaving = room.remove(ada.participant.id, "left");
    expect(room.isClosing).toBe(true);
    await leaving;
  });

  it("sends one roster per 100 ms however many mutes arrive, and the last state always", async () => {
    const { room } = makeRoom();
    const ada = join1(room, "Ada");
    const vic = join1(room, "Vic", "viewer");
    await vi.advanceTimersByTimeAsync(200);
    const before = vic.channel.messages.filter((m) => m.type === "participants").length;
    for (let i = 0; i < 500; i++) room.setMuted(ada.participant.id, { audio: i % 2 === 0 });
    await vi.advanceTimersByTimeAsync(100);
    const rosters = vic.channel.messages.filter((m) => m.type === "participants");
    expect(rosters.length - before).toBe(2);
    const last = rosters.at(-1);
    expect(last?.type === "participants" && last.participants.find((p) => p.id === ada.participant.id)?.audioMuted).toBe(false);
  });

  it("runs one encoder per codec its connected receivers take, and sends each receiver only its codec", async () => {
    const { room, media, mixer } = makeRoom();
    const chrome = join1(room, "Chrome");
    const safari = join1(room, "Safari");
    const [chromePeer, safariPeer] = media.peers;
    safariPeer.mixCodec = "h264";
    for (const peer of [chromePeer, safariPeer]) {
      peer.isConnected = true;
      peer.emit("connected");
    }
    expect([...mixer.receiverCodecs.at(-1)!].sort()).toEqual(["h264", "vp8"]);
    const packet = (marker: boolean) => new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, marker }), Buffer.from([0x90])).serialize();
    mixer.emit("videoRtp", packet(true), "h264");
    mixer.emit("videoRtp", packet(true), "vp8");
    mixer.emit("videoRtp", packet(true), "vp8");
    expect(safariPeer.sent.video).toBe(1);
    expect(chromePeer.sent.video).toBe(2);
    await room.remove(safari.participant.id, "left");
    expect([...mixer.receiverCodecs.at(-1)!]).toEqual(["vp8"]);
    expect(chrome.channel.closedWith).toBeUndefined();
  });

  it("closes with room-failed when its media code throws, and tells everyone", async () => {
    const { room, media, mixer } = makeRoom();
    const ada = join1(room, "Ada");
    const vic = join1(room, "Vic", "viewer");
    mixer.pushVideoRtp = () => {
      throw new Error("planted bug");
    };
    const closed = new Promise<void>((resolve) => room.once("closed", resolve));
    media.peers[0].emit("videoRtp", {} as RtpPacket, "vp8");
    await closed;
    for (const { channel } of [ada, vic]) {
      expect(channel.errors("room-failed")).toHaveLength(1);
      expect(channel.closedWith).toBe("room-failed");
    }
    expect(mixer.closed).toBe(true);
  });

  it("tells everyone who speaks, null when nobody does, and a newcomer right after joined", async () => {
    const { room, mixer } = makeRoom({ maxSenders: 3 });
    const a = join1(room, "Ada");
    const b = join1(room, "Bo", "viewer");
    mixer.activeSpeaker = a.participant.id;
    mixer.emit("activeSpeaker", a.participant.id);
    const speakerMessages = (c: FakeChannel) => c.messages.filter((m) => m.type === "speaker");
    for (const c of [a.channel, b.channel]) expect(speakerMessages(c)).toEqual([{ type: "speaker", id: a.participant.id }]);
    // Deferred: the session sends `joined` when admit returns, and the speaker's id must follow it.
    const late = join1(room, "Cy");
    expect(speakerMessages(late.channel)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(speakerMessages(late.channel)).toEqual([{ type: "speaker", id: a.participant.id }]);
    mixer.activeSpeaker = undefined;
    mixer.emit("activeSpeaker", undefined);
    for (const c of [a.channel, b.channel, late.channel]) expect(speakerMessages(c).at(-1)).toEqual({ type: "speaker", id: null });
  });

  it("falls back to the speaker layout when the pinned participant leaves", async () => {
    const { room, mixer } = makeRoom();
    const ada = join1(room, "Ada");
    join1(room, "Bo");
    const layout = capability(room, "layout");
    layout.setLayout({ layout: "pin", pin: ada.participant.id });
    expect(() => layout.setLayout({ layout: "pin", pin: "nobody" })).toThrow(/no participant "nobody"/);
    await room.remove(ada.participant.id, "left");
    expect(layout.layoutChoice).toEqual({ layout: "speaker" });
    expect(mixer.layouts.at(-1)).toEqual({ layout: "speaker" });
  });

  it("has negotiation, layout, recording, mix figures and link figures, and no signal relay or server offers", () => {
    const { room } = makeRoom();
    expect(Object.keys(room.capabilities).sort()).toEqual(["layout", "links", "mix", "negotiation", "recording"]);
    expect(() => capability(room, "relay")).toThrow(expect.objectContaining({ code: "wrong-mode", message: "signal messages are for mesh rooms; this is an MCU room" }));
    expect(() => capability(room, "serverOffers")).toThrow(/an MCU room never sends offers/);
  });
});
