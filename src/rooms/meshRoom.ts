import type { Role, SignalData } from "../../protocol/messages.js";
import { BaseRoom } from "./baseRoom.js";
import type { RoomCapabilities, SignalRelay } from "./capabilities.js";
import { type AdmitResult, type ConferenceRoom } from "./conferenceRoom.js";
import { BadSignalError, UnknownParticipantError } from "./errors.js";
import type { Member, ParticipantChannel } from "./participant.js";

/**
 * A mesh room: browsers connect to each other; the server only relays their offers, answers and
 * candidates between members of the same room, and keeps the roster. No media touches the server.
 */
export class MeshRoom extends BaseRoom<Member> implements ConferenceRoom, SignalRelay {
  readonly mode = "mesh";
  readonly capabilities: RoomCapabilities = { relay: this };

  /** The browsers hold the media: a page that comes back joins afresh and calls everyone again. */
  override get holdsDroppedParticipants(): boolean {
    return false;
  }

  admit(name: string, role: Role, channel: ParticipantChannel, identity?: string): AdmitResult {
    return this.refuseIfFull(role) ?? this.enrol(this.newMember(name, role, channel, identity));
  }

  signal(from: string, to: string, data: SignalData): void {
    if (from === to) throw new BadSignalError("signal: cannot signal yourself");
    const target = this.members.get(to);
    if (!target || !this.members.has(from))
      throw new UnknownParticipantError(`signal: participant "${to.slice(0, 64)}" is not in room "${this.name}"`);
    target.channel.send({ type: "signal", from, data });
  }

  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    this.recordMute(id, mute);
  }

  async remove(id: string, reason: string): Promise<void> {
    if (!this.forget(id, reason)) return;
    this.log.info("participant left", { participant: id, reason });
    if (this.members.size === 0) return this.close();
    this.broadcastRoster();
  }

  async close(reason = "room closed"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.forgetHeldPlaces();
    for (const m of this.members.values()) m.channel.close(reason);
    this.members.clear();
    this.context.processes.close();
    this.emit("closed");
  }
}
