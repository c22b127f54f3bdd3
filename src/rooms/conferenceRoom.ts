import type { Role, RoomMode } from "../../protocol/messages.js";
import type { RoomCapabilities } from "./capabilities.js";
import type { Member, ParticipantChannel } from "./participant.js";

export type AdmitResult<M extends Member = Member> = { ok: true; participant: M } | { ok: false; code: "room-full"; message: string };

/**
 * What every room does, whatever its mode: members, mutes, the roster, closing. What only some modes do
 * (negotiating with the server, relaying signals, layout, recording, mixing) is in `capabilities`: each
 * mode is one class (McuRoom, SfuRoom, MeshRoom) that has those capabilities or lacks them.
 */
export interface ConferenceRoom {
  readonly name: string;
  readonly mode: RoomMode;
  readonly isClosing: boolean;
  readonly capabilities: RoomCapabilities;
  once(event: "closed", listener: () => void): unknown;
  /** Whether a participant whose socket dropped keeps their place for RECONNECT_GRACE_MS (joined.resume is sent). */
  readonly holdsDroppedParticipants: boolean;
  /** `identity`: who this is across sockets (the join token's `sub`); a fresh id when left out. */
  admit(name: string, role: Role, channel: ParticipantChannel, identity?: string): AdmitResult;
  /** The participant a resume key belongs to, now on `channel`; undefined when the key is unknown here. */
  resume(key: string, channel: ParticipantChannel): AdmitResult | undefined;
  /** Their socket dropped without `leave`: their place is held for a while, or they leave now. */
  disconnected(id: string, reason: string): Promise<void>;
  remove(id: string, reason: string): Promise<void>;
  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void;
  list(): Member[];
  close(reason?: string): Promise<void>;
}

export function senderCount(members: Iterable<Member>): number {
  let n = 0;
  for (const m of members) if (m.role === "sender") n++;
  return n;
}

export function roomFullMessage(room: string, maxSenders: number): string {
  return `room "${room}" is full: it already has ${maxSenders} senders (viewers can still join)`;
}
