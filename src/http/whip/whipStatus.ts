import type { ErrorCode } from "../../../protocol/errorCodes.js";

/**
 * The HTTP status of each refusal a WHIP or WHEP request can meet; the body names the project's error code
 * (docs/api.md, "WHIP and WHEP"). A code not listed is a server bug: 500.
 */
export const FRONT_ERROR_STATUS: Partial<Record<ErrorCode, number>> = {
  "bad-join": 400,
  "bad-message": 400,
  "bad-offer": 400,
  "bad-candidate": 400,
  "negotiation-failed": 400,
  unauthorized: 401,
  "unknown-participant": 404,
  "room-full": 409,
  "wrong-mode": 409,
  "too-large": 413,
  "no-usable-codec": 422,
  "too-many-sections": 422,
  "rate-limited": 429,
  "too-many-connections": 429,
  "server-full": 503,
  "node-unavailable": 503,
};
