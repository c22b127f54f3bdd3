import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Role, SignalData } from "../signaling/messages.js";
import { BadSignalError, UnknownParticipantError, roomFullMessage, senderCount, WrongModeError, type AdmitResult, type ConferenceRoom } from "./conferenceRoom.js";
import { broadcastRoster, type Member, type ParticipantChannel } from "./participant.js";

/**
 * A mesh room: browsers connect to each other; the server only relays their offers, answers and
 * candidates between members of the same room, and keeps the roster. No media touches the server.
 */
export class MeshRoom extends EventEmitter<{ closed: [] }> implements ConferenceRoom {
  readonly mode = "mesh";
  private readonly members = new Map<string, Member>();
  private closing = false;

  constructor(
    readonly name: string,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    super();
  }

  get isClosing(): boolean {
    return this.closing;
  }

  list(): Member[] {
    return [...this.members.values()];
  }

  admit(name: string, role: Role, channel: ParticipantChannel): AdmitResult {
    if (role === "sender" && senderCount(this.members.values()) >= this.config.maxSenders) {
      return { ok: false, code: "room-full", message: roomFullMessage(this.name, this.config.maxSenders) };
    }
    const member: Member = { id: randomUUID().slice(0, 8), name, role, joinedAt: new Date(), channel, audioMuted: false, videoMuted: false };
    this.members.set(member.id, member);
    this.log.info("participant joined", { participant: member.id, role });
    setImmediate(() => broadcastRoster(this.members.values()));
    return { ok: true, participant: member };
  }

  signal(from: string, to: string, data: SignalData): void {
    if (from === to) throw new BadSignalError("signal: cannot signal yourself");
    const target = this.members.get(to);
    if (!target || !this.members.has(from)) throw new UnknownParticipantError(`signal: participant "${to.slice(0, 64)}" is not in room "${this.name}"`);
    target.channel.send({ type: "signal", from, data });
  }

  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    const m = this.members.get(id);
    if (!m) return;
    if (mute.audio !== undefined) m.audioMuted = mute.audio;
    if (mute.video !== undefined) m.videoMuted = mute.video;
    broadcastRoster(this.members.values());
  }

  offer(): Promise<string> {
    return Promise.reject(new WrongModeError("this is a mesh room: send offers to other participants with signal, not to the server"));
  }

  answer(): Promise<void> {
    return Promise.reject(new WrongModeError("this is a mesh room: send answers to other participants with signal"));
  }

  candidate(): Promise<void> {
    return Promise.reject(new WrongModeError("this is a mesh room: send candidates to other participants with signal"));
  }

  async remove(id: string, reason: string): Promise<void> {
    if (!this.members.delete(id)) return;
    this.log.info("participant left", { participant: id, reason });
    if (this.members.size === 0) return this.close();
    broadcastRoster(this.members.values());
  }

  async close(reason = "room closed"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const m of this.members.values()) m.channel.close(reason);
    this.members.clear();
    this.emit("closed");
  }
}
