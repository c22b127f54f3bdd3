import { randomUUID } from "node:crypto";
import type { JoinMessage, Role } from "../../protocol/messages.js";
import { verifyJoinToken, type TokenRefusal } from "./joinToken.js";

/** Who a join lets in, once the token (if the server needs one) has been checked. */
export interface JoinAccess {
  readonly ok: true;
  readonly room: string;
  readonly name: string;
  readonly role: Role;
  /** The token's `sub`; without tokens a fresh id, so nobody replaces anybody. */
  readonly identity: string;
  /** May start and stop recordings from the page. */
  readonly mayRecord: boolean;
}

/**
 * With a JOIN_TOKEN_SECRET the token decides room, name, role and the right to record; the join's own
 * room must be the token's (a link opened with another room in it is refused, not silently moved). Without
 * one the server is open: the join's fields as sent, and every sender may record.
 */
export async function joinAccess(secret: string | undefined, join: JoinMessage): Promise<JoinAccess | TokenRefusal> {
  if (secret === undefined)
    return { ok: true, room: join.room, name: join.name, role: join.role, identity: randomUUID(), mayRecord: join.role === "sender" };
  const check = await verifyJoinToken(secret, join.token, join.room);
  if (!check.ok) return check;
  const g = check.grant;
  return { ok: true, room: g.room, name: g.name, role: g.role, identity: g.sub, mayRecord: g.record };
}
