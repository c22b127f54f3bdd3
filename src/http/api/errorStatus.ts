import type { ErrorCode } from "../../../protocol/errorCodes.js";

/**
 * The HTTP status of each protocol error the control API can meet: rooms and recordings refuse an operator's
 * request with the same ProtocolError (and code) they refuse a participant's with, and the API answers with
 * this status and that code as `error`. A code not listed here has no business in an API answer: it is
 * treated as a server bug (500 `internal`, logged).
 */
export const API_ERROR_STATUS = {
  "wrong-mode": 409,
  "unknown-participant": 404,
  "recording-state": 409,
  "rate-limited": 429,
  "recording-failed": 500,
  "insufficient-storage": 507,
} as const satisfies Partial<Record<ErrorCode, number>>;

export function apiStatusOf(code: ErrorCode): number | undefined {
  return Object.hasOwn(API_ERROR_STATUS, code) ? API_ERROR_STATUS[code as keyof typeof API_ERROR_STATUS] : undefined;
}
