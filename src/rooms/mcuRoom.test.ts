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

  it("starts the mix with its first participant, before any connection, so the encoder is warm when they connect", () => {
    const { room, mixer } = makeRoom();
    expect(mixer.started).toBe(false);
    join1(room, "Vic", "viewer");
    expect(mixer.started, "the mix should be running while the first participant's ICE and DTLS are under way").toBe(true);
    expect(mixer.keyframeRequests, "no keyframe is asked for before anyone can receive it").toBe(0);
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
      {
        msg: "offer refused",
        fields: { participant: participant.id, code: "no-usable-codec", reason: "the offer has no video section", origin: undefined },
      },
      {
        msg: "offer refused",
        fields: {
          participant: participant.id,
          code: "negotiation-failed",
          reason: "this participant's connection is already negotiated",
          origin: "mozilla...THIS_IS_SDPARTA-153.0",
        },
      },
      {
        msg: "offer refused",
        fields: { participant: "nobody", code: "negotiation-failed", reason: "not in this room", origin: undefined },
      },
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

  it("keeps each sender's mutes in one record, the member's: the roster says it and the mixer reads it (issue 24)", async () => {
    const { room, mixer } = makeRoom();
    const ada = join1(room, "Ada");
    const vic = join1(room, "Vic", "viewer");
    // The very object: the mixer holds no copy that a missed message could leave behind.
    expect(mixer.mutes.get(ada.participant.id)).toBe(ada.participant);
    expect(mixer.mutes.has(vic.participant.id), "a viewer is not drawn nor heard").toBe(false);
    const steps = [{ audio: true }, { video: true }, { audio: false }, { audio: true, video: false }, {}];
    const expected = { audioMuted: false, videoMuted: false };
    for (const mute of steps) {
      room.setMuted(ada.participant.id, mute);
      if (mute.audio !== undefined) expected.audioMuted = mute.audio;
      if (mute.video !== undefined) expected.videoMuted = mute.video;
      await vi.advanceTimersByTimeAsync(100);
      const roster = vic.channel.messages.filter((m) => m.type === "participants").at(-1);
      const listed = roster?.type === "participants" ? roster.participants.find((p) => p.id === ada.participant.id) : undefined;
      const read = mixer.mutes.get(ada.participant.id)!;
      expect(listed, JSON.stringify(mute)).toMatchObject(expected);
      expect({ audioMuted: read.audioMuted, videoMuted: read.videoMuted }, JSON.stringify(mute)).toEqual(expected);
    }
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
    expect(mixer.receiverStreams.at(-1)).toEqual(["h264:1280x720", "vp8:1280x720"]);
    const packet = (marker: boolean) =>
      new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1, marker }), Buffer.from([0x90])).serialize();
    mixer.emit("videoRtp", packet(true), { codec: "h264", width: 1280, height: 720, bitrate: 1_500_000 }, true);
    mixer.emit("videoRtp", packet(true), { codec: "vp8", width: 1280, height: 720, bitrate: 1_500_000 }, true);
    mixer.emit("videoRtp", packet(true), { codec: "vp8", width: 1280, height: 720, bitrate: 1_500_000 }, false);
    expect(safariPeer.sent.video).toBe(1);
    expect(chromePeer.sent.video).toBe(2);
    await room.remove(safari.participant.id, "left");
    expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720"]);
    expect(chrome.channel.closedWith).toBeUndefined();
  });

  describe("renditions per receiver", () => {
    const stream = (width: number, height: number) => ({ codec: "vp8" as const, width, height, bitrate: 1 });
    /** A frame of `packets` packets of a stream, its numbering its own (each stream counts from its own base). */
    function frame(
      mixer: ReturnType<typeof makeRoom>["mixer"],
      s: ReturnType<typeof stream>,
      firstSeq: number,
      ts: number,
      keyframe: boolean,
      packets = 2,
    ): void {
      for (let i = 0; i < packets; i++) {
        const bytes = new RtpPacket(
          new RtpHeader({ payloadType: 96, sequenceNumber: firstSeq + i, timestamp: ts, ssrc: s.width, marker: i === packets - 1 }),
          Buffer.from([0x90]),
        ).serialize();
        mixer.emit("videoRtp", bytes, s, keyframe && i === 0);
      }
    }
    const hd = stream(1280, 720);
    const sd = stream(640, 360);
    const ld = stream(320, 180);
    const mixMessages = (channel: FakeChannel) => channel.messages.filter((m) => m.type === "mix");

    it("moves a receiver down at once, at the new rung's keyframe, with its sequence numbers running on; the other stays", async () => {
      const { room, media, mixer } = makeRoom();
      const weak = join1(room, "Weak", "viewer");
      join1(room, "Strong", "viewer");
      const [weakPeer, strongPeer] = media.peers;
      weakPeer.connect();
      strongPeer.connect();
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720"]);
      frame(mixer, hd, 100, 3000, true);
      await vi.advanceTimersByTimeAsync(1);
      expect(mixMessages(weak.channel).at(-1)).toMatchObject({ width: 1280, height: 720, paused: false });
      weakPeer.emit("link", { availableBps: 400_000, lossFraction: 0.05, rttMs: 120 });
      // The new rung is encoded and asked for a keyframe; the old one goes on until that keyframe.
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720", "vp8:320x180"]);
      expect(mixer.keyframeStreams.at(-1)).toBe("vp8:320x180");
      frame(mixer, hd, 102, 6000, false);
      frame(mixer, ld, 9000, 6000, false); // not a keyframe: no switch yet
      expect(weakPeer.videoSent.map((p) => p.seq)).toEqual([100, 101, 102, 103]);
      frame(mixer, ld, 9002, 9000, true);
      frame(mixer, hd, 104, 9000, false);
      frame(mixer, ld, 9004, 12000, false);
      expect(weakPeer.videoSent.map((p) => p.seq)).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
      expect(weakPeer.videoSent.map((p) => p.ts)).toEqual([3000, 3000, 6000, 6000, 9000, 9000, 12000, 12000]);
      expect(strongPeer.videoSent.map((p) => p.seq)).toEqual([100, 101, 102, 103, 104, 105]);
      await vi.advanceTimersByTimeAsync(1);
      // Weak on the smallest rung, Strong still on the largest.
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720", "vp8:320x180"]);
      expect(mixMessages(weak.channel).at(-1)).toMatchObject({ width: 320, height: 180, paused: false });
      expect(mixMessages(weak.channel)).toHaveLength(2);
    });

    it("stops a rung nobody receives, and (a peer that cannot probe its link) moves up only after 10 s of headroom", async () => {
      const { room, media, mixer } = makeRoom();
      join1(room, "Solo", "viewer");
      const [peer] = media.peers;
      peer.connect();
      frame(mixer, hd, 1, 3000, true);
      peer.emit("link", { availableBps: 700_000, lossFraction: 0, rttMs: 50 });
      frame(mixer, sd, 1, 6000, true);
      await vi.advanceTimersByTimeAsync(1);
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:640x360"]);
      for (let t = 0; t < 9; t++) {
        await vi.advanceTimersByTimeAsync(1000);
        peer.emit("link", { availableBps: 5_000_000, lossFraction: 0, rttMs: 50 });
      }
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:640x360"]);
      await vi.advanceTimersByTimeAsync(2000);
      // The first probe after the move down (probeAfterDownMs) finds it cannot run; the next estimate moves it up.
      peer.emit("link", { availableBps: 5_000_000, lossFraction: 0, rttMs: 50 });
      await vi.advanceTimersByTimeAsync(1);
      peer.emit("link", { availableBps: 5_000_000, lossFraction: 0, rttMs: 50 });
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720", "vp8:640x360"]);
      frame(mixer, hd, 500, 9000, true);
      await vi.advanceTimersByTimeAsync(1);
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720"]);
      const seqs = peer.videoSent.map((p) => p.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    });

    it("pauses the video below the lowest rung, says so, keeps the sound, and resumes by itself", async () => {
      const { room, media, mixer } = makeRoom();
      const ada = join1(room, "Ada");
      const vic = join1(room, "Vic", "viewer");
      const [adaPeer, vicPeer] = media.peers;
      adaPeer.connect();
      vicPeer.connect();
      frame(mixer, hd, 1, 3000, true);
      await vi.advanceTimersByTimeAsync(1);
      vicPeer.emit("link", { availableBps: 80_000, lossFraction: 0.2, rttMs: 300 });
      // On the lowest rung at once, paused when the link stays below it for 2 s.
      await vi.advanceTimersByTimeAsync(2000);
      vicPeer.emit("link", { availableBps: 80_000, lossFraction: 0.2, rttMs: 300 });
      expect(mixMessages(vic.channel).at(-1)).toMatchObject({ paused: true });
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720"]); // Ada's
      const before = vicPeer.sent.video;
      frame(mixer, hd, 3, 6000, true);
      expect(vicPeer.sent.video).toBe(before);
      expect(mixer.audioListeners.has(vic.participant.id)).toBe(true);
      for (let t = 0; t < 4; t++) {
        await vi.advanceTimersByTimeAsync(1000);
        vicPeer.emit("link", { availableBps: 300_000, lossFraction: 0, rttMs: 80 });
      }
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:1280x720", "vp8:320x180"]);
      frame(mixer, ld, 40, 9000, true);
      await vi.advanceTimersByTimeAsync(1);
      expect(mixMessages(vic.channel).at(-1)).toMatchObject({ width: 320, height: 180, paused: false });
      const seqs = vicPeer.videoSent.map((p) => p.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
      expect(ada.channel.messages.filter((m) => m.type === "mix" && m.paused)).toHaveLength(0);
    });

    it("never sends more than the page's box shows, and an upright phone gets the shared portrait rendition", async () => {
      const { room, media, mixer } = makeRoom();
      join1(room, "Phone 1", "viewer");
      join1(room, "Phone 2", "viewer");
      const desk = join1(room, "Desk", "viewer");
      for (const peer of media.peers) peer.connect();
      const [p1, p2, deskPeer] = media.peers;
      const [a, b, c] = room.list().map((m) => m.id);
      room.setDisplay(a, { width: 390, height: 693, pixelRatio: 1, orientation: "portrait" });
      room.setDisplay(b, { width: 390, height: 693, pixelRatio: 1, orientation: "portrait" });
      room.setDisplay(c, { width: 600, height: 338, pixelRatio: 1, orientation: "landscape" });
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:360x640", "vp8:640x360"]);
      frame(mixer, stream(360, 640), 1, 3000, true);
      frame(mixer, sd, 1, 3000, true);
      expect(p1.videoSent).toHaveLength(2);
      expect(p2.videoSent).toHaveLength(2);
      expect(deskPeer.videoSent).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(mixMessages(desk.channel).at(-1)).toMatchObject({ width: 640, height: 360 });
      // A rotation: back to landscape at once.
      room.setDisplay(a, { width: 844, height: 475, pixelRatio: 1, orientation: "landscape" });
      expect(mixer.receiverStreams.at(-1)).toEqual(["vp8:360x640", "vp8:640x360"]);
      frame(mixer, sd, 3, 6000, true);
      await vi.advanceTimersByTimeAsync(1);
      expect(p1.videoSent).toHaveLength(4);
    });

    it("refuses display in rooms without a mix", () => {
      const { room } = makeRoom();
      expect(capability(room, "display")).toBe(room);
    });
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
    // A newcomer is told at once; its session holds the message until `joined` is out (SignalingSession.join).
    const late = join1(room, "Cy");
    expect(speakerMessages(late.channel)).toEqual([{ type: "speaker", id: a.participant.id }]);
    mixer.activeSpeaker = undefined;
    mixer.emit("activeSpeaker", undefined);
    for (const c of [a.channel, b.channel, late.channel]) expect(speakerMessages(c).at(-1)).toEqual({ type: "speaker", id: null });
  });

  it("refuses a layout it cannot draw, each with its own error, and keeps the one it has", () => {
    const { room } = makeRoom();
    const ada = join1(room, "Ada");
    const vic = join1(room, "빅토르", "viewer");
    const layout = capability(room, "layout");
    layout.setLayout({ layout: "speaker" });
    const cases = [
      { choice: { layout: "pin" as const }, error: { name: "RangeError", message: 'the "pin" layout needs the participant to pin' } },
      {
        choice: { layout: "pin" as const, pin: "nobody" },
        error: { code: "unknown-participant", message: 'no participant "nobody" in room "unit"' },
      },
      {
        choice: { layout: "pin" as const, pin: vic.participant.id },
        error: {
          name: "NotASenderError",
          code: "not-a-sender",
          message: `participant "${vic.participant.id}" (빅토르) is a viewer: only senders have a tile to pin`,
        },
      },
      { choice: { layout: "custom" as const }, error: { name: "RangeError", message: 'the "custom" layout needs its definition' } },
    ];
    for (const { choice, error } of cases) {
      expect(() => layout.setLayout(choice), JSON.stringify(choice)).toThrow(expect.objectContaining(error));
      expect(layout.layoutChoice).toEqual({ layout: "speaker" });
    }
    layout.setLayout({ layout: "pin", pin: ada.participant.id });
    expect(layout.layoutChoice).toEqual({ layout: "pin", pin: ada.participant.id });
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
    // One record of the choice: the room's API reads the mixer's, which draws it.
    expect(mixer.layoutChoice).toEqual({ layout: "speaker" });
    expect(mixer.layouts.at(-1), "the room told the mixer nothing more: it worked the fallback out itself").toEqual({
      layout: "pin",
      pin: ada.participant.id,
    });
  });

  it("has negotiation, layout, recording, mix figures, link figures and screen sharing, and no signal relay or server offers", () => {
    const { room } = makeRoom();
    expect(Object.keys(room.capabilities).sort()).toEqual(["display", "layout", "links", "mix", "negotiation", "recording", "screenShare"]);
    expect(() => capability(room, "relay")).toThrow(
      expect.objectContaining({ code: "wrong-mode", message: "signal messages are for mesh rooms; this is an MCU room" }),
    );
    expect(() => capability(room, "serverOffers")).toThrow(/an MCU room never sends offers/);
  });
});
