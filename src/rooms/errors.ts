import { ProtocolError } from "../../protocol/protocolError.js";

// The rooms' sentinel errors, one class per thing a client can get wrong (as LiveKit's errors.go): each
// carries the protocol's error code, so the signaling session and the API map it to a message or a status
// without reading its text (src/http/api/errorStatus.ts).

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
 * A `pin` naming a viewer: only senders have a tile to pin. Not a signaling code (layouts are set through
 * the control API alone, as `not-a-sender`): the room decides it, and the API's layout route maps it to 400.
 */
export class NotASenderError extends Error {
  readonly code = "not-a-sender";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
