import type { LayoutSpec } from "../../mixer/layout/computeLayout.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { Role, RoomMode } from "../../protocol/messages.js";
import { ProtocolError } from "../../protocol/protocolError.js";
import type { RoomCapabilities } from "./capabilities.js";
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
export { layoutKinds as layoutNames } from "../../mixer/layout/computeLayout.js";
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
  /** The media file's container (`webm`: VP8 + Opus, `mp4`: H264 + Opus). */
  readonly format?: RecordingFormat;
  /** The media file's name in RECORDINGS_DIR (`<id>.webm` or `<id>.mp4`); its timeline is `<id>.timeline.jsonl`. */
  readonly file?: string;
  /** Each participant's own voice (`<id>.voice-<participant>.webm`), when recorded apart; the timeline's `voice` lines say where each starts. */
  readonly voices?: readonly string[];
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
