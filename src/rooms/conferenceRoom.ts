import type { LayoutSpec } from "../../mixer/layout/computeLayout.js";
import type { Role, RoomMode, SignalData } from "../../protocol/messages.js";
import { ProtocolError } from "../../protocol/protocolError.js";
import type { Member, ParticipantChannel } from "./participant.js";

export type AdmitResult<M extends Member = Member> = { ok: true; participant: M } | { ok: false; code: "room-full"; message: string };

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** A message that does not belong to this room's mode (an `offer` to a mesh room, say). */
export class WrongModeError extends ProtocolError<"wrong-mode"> {
  constructor(message: string) {
    super("wrong-mode", message);
  }
}

/** A `signal` to yourself. */
export class BadSignalError extends ProtocolError<"bad-message"> {
  constructor(message: string) {
    super("bad-message", message);
  }
}

/** A `signal` to someone not in the room: often someone who has just left, so not worth alarming anyone. */
export class UnknownParticipantError extends ProtocolError<"unknown-participant"> {
  constructor(message: string) {
    super("unknown-participant", message);
  }
}

// How an MCU room's composite is arranged: the mixer's own description, under the control plane's names.
export { layoutKinds as layoutNames, type LayoutKind as LayoutName } from "../../mixer/layout/computeLayout.js";
export type LayoutChoice = LayoutSpec;

/** One recording of a room's composite, live or finished. */
export interface RecordingInfo {
  /** Made by the server; names the file, never derived from the room name. */
  readonly id: string;
  readonly room: string;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  /** Bytes written to the media file so far. */
  readonly bytes: number;
  /** The media file's name in RECORDINGS_DIR (`<id>.webm`); its timeline is `<id>.timeline.jsonl`. */
  readonly file?: string;
  /** Length of the media, once stopped. */
  readonly durationMs?: number;
  /** True for a recording that never stopped cleanly (its server was killed): it plays up to the kill. */
  readonly interrupted?: boolean;
}

/** A start when a recording is already running, or a stop when none is (or one the caller may not stop). */
export class RecordingStateError extends ProtocolError<"recording-state"> {
  constructor(message: string) {
    super("recording-state", message);
  }
}

/** Too many requests of one kind: try again later (the message says when). */
export class RateLimitedError extends ProtocolError<"rate-limited"> {
  constructor(message: string) {
    super("rate-limited", message);
  }
}

/**
 * Who asked for a recording: a participant from the page, an operator through the control API, or
 * AUTO_RECORD. An operator's recording is stopped only by an operator (or by the room closing).
 */
export type RecordingOrigin = "participant" | "api" | "auto";

/**
 * What signaling and the control API need of a room, whatever its mode. Each mode is one class: McuRoom (the mixer),
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
  /** The composite's arrangement; undefined in rooms that have no composite (sfu, mesh). */
  readonly layoutChoice: LayoutChoice | undefined;
  /** MCU rooms only (others throw WrongModeError); an unknown `pin` throws UnknownParticipantError. */
  setLayout(choice: LayoutChoice): void;
  /** The recording in progress, if any. */
  readonly activeRecording: RecordingInfo | undefined;
  /**
   * MCU rooms only (others throw WrongModeError); throws RecordingStateError if one is running, and
   * RateLimitedError when participants start recordings faster than one per RECORDING_START_INTERVAL_MS.
   */
  startRecording(by: RecordingOrigin): Promise<RecordingInfo>;
  /** Finishes the file and its timeline; throws RecordingStateError if none is running or `by` may not stop it. */
  stopRecording(by: RecordingOrigin): Promise<RecordingInfo>;
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
