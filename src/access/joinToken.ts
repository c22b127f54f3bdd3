import { randomUUID } from "node:crypto";
import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { cleanDisplayName } from "../../protocol/displayName.js";
import { MAX_NAME_LENGTH } from "../../protocol/limits.js";
import { ROLES, type Role } from "../../protocol/messages.js";
import { isRoomName, ROOM_NAME_RULE } from "../../protocol/roomName.js";

/** What a verified join token grants. */
export interface JoinGrant {
  /** The participant's identity: a second socket with the same one in the room replaces the first. */
  readonly sub: string;
  /** Display name, cleaned as a typed one is. */
  readonly name: string;
  readonly room: string;
  readonly role: Role;
  /** May start and stop the room's recording, and fetch links to its recordings. */
  readonly record: boolean;
  /** Expiry, unix seconds. */
  readonly exp: number;
}

/** Why a token was refused; `message` says it to the client, `reason` goes to the log (never the token). */
export type TokenRefusal = {
  readonly ok: false;
  readonly reason: "missing" | "malformed" | "expired" | "not-yet-valid" | "bad-signature" | "bad-claims" | "wrong-room";
  readonly message: string;
};
export type TokenCheck = { readonly ok: true; readonly grant: JoinGrant } | TokenRefusal;

export interface MintOptions {
  readonly room: string;
  readonly name: string;
  readonly role?: Role;
  readonly record?: boolean;
  /** Lifetime in seconds (default 3600). */
  readonly ttlSeconds?: number;
  /** Identity; a fresh random one when left out. */
  readonly sub?: string;
  /** Not valid before this unix time (seconds). */
  readonly nbf?: number;
}

export const DEFAULT_TOKEN_TTL_S = 3600;
export const MAX_TOKEN_TTL_S = 30 * 24 * 3600;
/** Clocks of the minting service and this server may disagree by this much. */
const CLOCK_TOLERANCE_S = 5;
const ALGORITHM = "HS256";

const claimsSchema = z.object({
  sub: z.string().min(1).max(128),
  name: z.string().min(1),
  room: z.string().min(1),
  role: z.enum(ROLES),
  record: z.boolean(),
  exp: z.number(),
});

const key = (secret: string) => new TextEncoder().encode(secret);

export async function mintJoinToken(secret: string, options: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ name: options.name, room: options.room, role: options.role ?? "sender", record: options.record ?? false })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(options.sub ?? randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_S));
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key(secret));
}

/**
 * Checks a join token: signature (HS256 only: `alg: none` and others are refused), exp (required), nbf and
 * iat when present, the claims' shapes, and, when `room` is given, that it is for that room.
 */
export async function verifyJoinToken(secret: string, token: string | undefined, room?: string): Promise<TokenCheck> {
  if (!token) return refuse("missing", "this server needs a join token: open the join link you were given (it carries &token=)");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ["exp"],
      clockTolerance: CLOCK_TOLERANCE_S,
    }));
  } catch (err) {
    return refusalOf(err);
  }
  // jose checks iat's type only; a token issued in the future comes from a broken clock or a forger.
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_S) {
    return refuse("not-yet-valid", "the join token was issued in the future (its iat is ahead of this server's clock)");
  }
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    return refuse("bad-claims", `the join token's claims are not valid: ${problems}`);
  }
  const c = parsed.data;
  if (!isRoomName(c.room)) return refuse("bad-claims", `the join token's room is not a room name (${ROOM_NAME_RULE})`);
  const name = cleanDisplayName(c.name);
  if (!name.ok) return refuse("bad-claims", `the join token's ${name.problem}`);
  if (name.name.length > MAX_NAME_LENGTH) return refuse("bad-claims", `the join token's name is longer than ${MAX_NAME_LENGTH} characters`);
  if (room !== undefined && c.room !== room) return refuse("wrong-room", `the join token is for another room, not "${room}"`);
  return { ok: true, grant: { sub: c.sub, name: name.name, room: c.room, role: c.role, record: c.record, exp: c.exp } };
}

function refusalOf(err: unknown): TokenRefusal {
  if (err instanceof errors.JWTExpired) return refuse("expired", "the join token has expired: ask for a new link");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return refuse("not-yet-valid", "the join token is not valid yet (its nbf is in the future)");
    return refuse("bad-claims", `the join token's ${err.claim} claim is missing or not valid`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return refuse("bad-signature", "the join token's signature does not match this server's JOIN_TOKEN_SECRET");
  if (err instanceof errors.JOSEAlgNotAllowed) return refuse("bad-signature", "the join token must be signed with HS256");
  return refuse("malformed", "the join token is not a well-formed JWT");
}

function refuse(reason: TokenRefusal["reason"], message: string): TokenRefusal {
  return { ok: false, reason, message };
}
