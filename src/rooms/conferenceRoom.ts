import type { Role, RoomMode, SignalData } from "../signaling/messages.js";
import type { Member, ParticipantChannel } from "./participant.js";

export type AdmitResult<M extends Member = Member> = { ok: true; participant: M } | { ok: false; code: "room-full"; message: string };

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** A message that does not belong to this room's mode (an `offer` to a mesh room, say). */
export class WrongModeError extends Error {
  readonly code = "wrong-mode";
}

/** A `signal` to yourself. */
export class BadSignalError extends Error {
  readonly code = "bad-message";
}

/** A `signal` to someone not in the room: often someone who has just left, so not worth alarming anyone. */
export class UnknownParticipantError extends Error {
  readonly code = "unknown-participant";
}

/**
 * What signaling needs of a room, whatever its mode. Each mode is one class: McuRoom (the mixer),
 * SfuRoom (forwarding) and MeshRoom (relay only).
 */
export interface ConferenceRoom {
  readonly name: string;
  readonly mode: RoomMode;
  readonly isClosing: boolean;
  once(event: "closed", listener: () => void): unknown;
  admit(name: string, role: Role, channel: ParticipantChannel): AdmitResult;
  remove(id: string, reason: string): Promise<void>;
  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void;
  list(): Member[];
  /** The participant's offer; resolves to the server's answer SDP. */
  offer(id: string, sdp: string): Promise<string>;
  /** The participant's answer to a server offer. */
  answer(id: string, sdp: string): Promise<void>;
  candidate(id: string, candidate: IceCandidateInit | null): Promise<void>;
  signal(from: string, to: string, data: SignalData): void;
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
