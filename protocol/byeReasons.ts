import { FATAL_ERROR_CODES, type FatalErrorCode } from "./errorCodes.js";
import * as z from "./zod.js";

/** Sessions that end without an error. */
const ENDINGS = [
  /** The participant sent `leave`. */
  "left",
  /** An operator removed them (`DELETE /api/rooms/:room/participants/:id`). */
  "kicked",
  /** The room closed for another reason than the ones below. */
  "room-closed",
  /** A newer session of the same identity took this one's place (same token `sub`, or a resume). */
  "replaced",
] as const;

/**
 * Why the server ends a session: the `reason` of `bye`, and of the WebSocket close frame after it. A session
 * ended by a fatal error gives the error's code (`server-shutdown`, `ice-failed`, `offer-timeout`,
 * `room-failed`, and the refusals `room-full`, `bad-join`, `server-full`, `too-many-connections`, `node-unavailable`).
 */
export type ByeReason = (typeof ENDINGS)[number] | FatalErrorCode;

export const BYE_REASONS: readonly [ByeReason, ...ByeReason[]] = [...ENDINGS, ...FATAL_ERROR_CODES];

export const byeReasonSchema = z.enum(BYE_REASONS);

export function isByeReason(value: unknown): value is ByeReason {
  return typeof value === "string" && (BYE_REASONS as readonly string[]).includes(value);
}
