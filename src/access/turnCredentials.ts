import { createHmac } from "node:crypto";
import type { IceServer } from "../config.js";

export interface TurnRestOptions {
  /** coturn's static-auth-secret. */
  readonly secret: string;
  /** Lifetime of the credential, in seconds. */
  readonly ttlSeconds: number;
}

/**
 * The TURN REST scheme coturn implements (use-auth-secret): username `<expiry unix time>:<who>`, password
 * base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC and refuses the pair once the expiry has
 * passed, so a credential copied out of one page is of use to nobody for long.
 */
export function turnRestCredential(options: TurnRestOptions, who: string, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + options.ttlSeconds}:${who}`;
  return { username, credential: createHmac("sha1", options.secret).update(username).digest("base64") };
}

/**
 * The ICE servers one participant is handed: with a TURN secret, the `turn:`/`turns:` entries carry that
 * participant's own expiring pair instead of the static ICE_USERNAME / ICE_CREDENTIAL.
 */
export function iceServersFor(
  servers: readonly IceServer[],
  turn: TurnRestOptions | undefined,
  participantId: string,
  nowMs = Date.now(),
): IceServer[] {
  if (!turn) return [...servers];
  return servers.map((s) =>
    s.urls.some((u) => u.startsWith("turn")) ? { urls: s.urls, ...turnRestCredential(turn, participantId, nowMs) } : s,
  );
}
