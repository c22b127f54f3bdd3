import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { RoomMixer } from "../../mixer/roomMixer.js";
import { PeerSession } from "../peers/peerSession.js";
import { NegotiationError } from "../peers/peerSession.js";
import type { Role, SignalData } from "../signaling/messages.js";
import { roomFullMessage, senderCount, WrongModeError, type AdmitResult, type ConferenceRoom, type IceCandidateInit } from "./conferenceRoom.js";
import { broadcastRoster, type Participant, type ParticipantChannel } from "./participant.js";
import { tileBitrate } from "./tileBitrate.js";

type RoomEvents = {
  /** The last participant left and the mixer (with every ffmpeg child) is gone. */
  closed: [];
};

/**
 * An MCU room: who is in it, and the wiring between their peer connections and the room's mixer.
 * Created with the first participant, closed (mixer and all) when the last one leaves.
 */
export class McuRoom extends EventEmitter<RoomEvents> implements ConferenceRoom {
  readonly mode = "mcu";
  private readonly participants = new Map<string, Participant>();
  private readonly mixer: RoomMixer;
  private closing = false;

  constructor(
    readonly name: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    super();
    this.mixer = new RoomMixer({
      label: `room:${name}`,
      width: config.output.width,
      height: config.output.height,
      fps: config.output.fps,
      videoBitrate: config.output.videoBitrate,
      audioBitrate: config.output.audioBitrate,
      keyframeIntervalMs: config.keyframeIntervalMs,
      staleAfterMs: config.staleVideoMs,
      ffmpegPath: config.ffmpegPath,
    });
    this.mixer.on("videoRtp", (packet) => {
      for (const p of this.participants.values()) p.peer.sendVideo(packet);
    });
    this.mixer.on("keyframeNeeded", (id) => this.participants.get(id)?.peer.requestKeyframe());
    // Deferred so a joiner gets `joined` before the layout and roster messages its own join causes.
    this.mixer.on("layout", () => setImmediate(() => this.sendTileSizes()));
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get roomMixer(): RoomMixer {
    return this.mixer;
  }

  list(): Participant[] {
    return [...this.participants.values()];
  }

  admit(name: string, role: Role, channel: ParticipantChannel): AdmitResult<Participant> {
    if (role === "sender" && senderCount(this.participants.values()) >= this.config.maxSenders) {
      return { ok: false, code: "room-full", message: roomFullMessage(this.name, this.config.maxSenders) };
    }
    const id = randomUUID().slice(0, 8);
    const peer = new PeerSession(this.config);
    const participant: Participant = { id, name, role, joinedAt: new Date(), channel, peer, audioMuted: false, videoMuted: false, videoCodecSeen: undefined };
    this.participants.set(id, participant);
    this.wire(participant);
    this.log.info("participant joined", { participant: id, role, senders: senderCount(this.participants.values()) });
    setImmediate(() => this.broadcastParticipants());
    return { ok: true, participant };
  }

  offer(id: string, sdp: string): Promise<string> {
    const p = this.participants.get(id);
    if (!p) return Promise.reject(new NegotiationError("negotiation-failed", "not in this room"));
    return p.peer.answer(sdp);
  }

  answer(): Promise<void> {
    return Promise.reject(new WrongModeError("an MCU room never sends offers: there is nothing to answer"));
  }

  async candidate(id: string, candidate: IceCandidateInit | null): Promise<void> {
    await this.participants.get(id)?.peer.addRemoteCandidate(candidate);
  }

  signal(_from: string, _to: string, _data: SignalData): void {
    throw new WrongModeError("signal messages are for mesh rooms; this room is an MCU");
  }

  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    const p = this.participants.get(id);
    if (!p) return;
    if (mute.audio !== undefined) p.audioMuted = mute.audio;
    if (mute.video !== undefined) p.videoMuted = mute.video;
    if (p.role === "sender") this.mixer.setMuted(id, mute);
    this.broadcastParticipants();
  }

  async remove(id: string, reason: string): Promise<void> {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.log.info("participant left", { participant: id, reason });
    this.mixer.removeAudioListener(id);
    const removal = p.role === "sender" ? this.mixer.removeSender(id) : Promise.resolve();
    await p.peer.close();
    if (this.participants.size === 0) {
      await removal;
      await this.close();
      return;
    }
    this.broadcastParticipants();
    await removal;
  }

  /** Ends the room: every participant is told why, every peer and ffmpeg child is closed. */
  async close(reason = "room closed"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const everyone = [...this.participants.values()];
    this.participants.clear();
    for (const p of everyone) p.channel.close(reason);
    await Promise.all(everyone.map((p) => p.peer.close()));
    await this.mixer.close();
    this.log.info("room closed", { reason });
    this.emit("closed");
  }

  private wire(p: Participant): void {
    const { peer, id } = p;
    if (p.role === "sender") {
      this.mixer.addSender(id, p.name);
      peer.on("videoRtp", (packet, codec) => {
        if (p.videoCodecSeen !== codec) {
          p.videoCodecSeen = codec;
          this.mixer.setVideoCodec(id, codec);
        }
        this.mixer.pushVideoRtp(id, packet);
      });
      peer.on("audioRtp", (packet) => this.mixer.pushAudioRtp(id, packet));
    }
    this.mixer.addAudioListener(id, p.role === "sender" ? id : undefined, (packet) => peer.sendAudio(packet));
    peer.on("failed", (reason) => {
      p.channel.send({ type: "error", code: "ice-failed", message: reason });
      p.channel.close(reason);
      void this.remove(id, reason);
    });
  }

  private sendTileSizes(): void {
    for (const [id, rect] of this.mixer.layout) {
      const p = this.participants.get(id);
      p?.channel.send({ type: "tile", width: rect.width, height: rect.height, maxBitrate: tileBitrate(rect.width, rect.height) });
    }
  }

  private broadcastParticipants(): void {
    broadcastRoster(this.participants.values());
  }
}
