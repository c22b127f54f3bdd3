import type { ErrorCode } from "./errorCodes.js";

/**
 * An error that knows which protocol code it stands for, from where it is thrown: a room, a peer or a
 * recording refusing something. Signaling answers it with an `error` of that code and its message, the
 * control API with the status its code maps to, so the message is written to be shown: what failed, never
 * where (paths and system detail stay in the server's log, through `cause`).
 */
export class ProtocolError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The code `err` stands for, if it is a ProtocolError. */
export function protocolCodeOf(err: unknown): ErrorCode | undefined {
  return err instanceof ProtocolError ? err.code : undefined;
}
