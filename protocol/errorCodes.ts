import * as z from "./zod.js";

/**
 * Every code an `error` message can carry, and whether it is fatal: after a fatal error the server ends the
 * session (a `bye` naming the code, then the socket closes), after any other the connection stays open.
 * The server's session ends on exactly these (src/signaling/signalingSession.ts), the client gives up on
 * them (client/serverErrors.ts), and docs/protocol.md's table says the same (protocol/errorCodes.test.ts).
 */
export const ERROR_CODES = {
  // Refusals: the session never gets going.
  "room-full": { fatal: true },
  "bad-join": { fatal: true },
  "server-full": { fatal: true },
  "too-many-connections": { fatal: true },
  "node-unavailable": { fatal: true },
  unauthorized: { fatal: true },
  "forbidden-origin": { fatal: true },
  // The participant is removed: their media never came up, or their room is gone.
  "ice-failed": { fatal: true },
  "offer-timeout": { fatal: true },
  "room-failed": { fatal: true },
  "server-shutdown": { fatal: true },
  // One message refused; the session goes on.
  "bad-json": { fatal: false },
  "bad-message": { fatal: false },
  "unknown-type": { fatal: false },
  "too-large": { fatal: false },
  "binary-not-supported": { fatal: false },
  "not-joined": { fatal: false },
  "already-joined": { fatal: false },
  "already-negotiated": { fatal: false },
  "wrong-mode": { fatal: false },
  "unknown-participant": { fatal: false },
  "no-usable-codec": { fatal: false },
  "negotiation-failed": { fatal: false },
  "too-many-sections": { fatal: false },
  "bad-offer": { fatal: false },
  "bad-candidate": { fatal: false },
  "rate-limited": { fatal: false },
  "recording-state": { fatal: false },
  "recording-failed": { fatal: false },
  "insufficient-storage": { fatal: false },
  "screen-busy": { fatal: false },
  "screen-failed": { fatal: false },
} as const satisfies Record<string, { readonly fatal: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes after which the session ends. */
export type FatalErrorCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C]["fatal"] extends true ? C : never }[ErrorCode];

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export function isFatal(code: ErrorCode): code is FatalErrorCode {
  return ERROR_CODES[code].fatal;
}

export const FATAL_ERROR_CODES: readonly FatalErrorCode[] = ERROR_CODE_LIST.filter(isFatal);

export const errorCodeSchema = z.enum(ERROR_CODE_LIST);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
