import { CLAIM_TTL_MS, roomKey } from "./keys.js";
import type { RedisLink } from "./redisLink.js";

// KEYS: claims; ARGV[1]: the node; ARGV[2]: TTL. Each claim still the node's is extended, each lapsed one
// taken again (Redis restarted empty, or a long outage); the ones another node holds now are returned.
const REFRESH = `
local lost = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call("GET", key)
  if owner == ARGV[1] then redis.call("PEXPIRE", key, ARGV[2])
  elseif not owner then redis.call("SET", key, ARGV[1], "PX", ARGV[2])
  else table.insert(lost, key) end
end
return lost`;

// KEYS[1]: a claim; ARGV[1]: the node it must belong to. Deleted only if it still does.
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * Which node hosts each room: one key per room holding the node's id, with a TTL its node refreshes.
 * Taking a claim is atomic (SET NX PX): of two nodes placing one room at once, exactly one wins.
 */
export class RoomClaims {
  constructor(private readonly link: RedisLink) {}

  /** Claims `room` for `nodeId` unless someone holds it; true if this call took it. */
  async claim(room: string, nodeId: string): Promise<boolean> {
    return (await this.link.command(["SET", roomKey(room), nodeId, "NX", "PX", String(CLAIM_TTL_MS)])) === "OK";
  }

  async owner(room: string): Promise<string | undefined> {
    const owner = await this.link.command(["GET", roomKey(room)]);
    return typeof owner === "string" ? owner : undefined;
  }

  /** Keeps `rooms` claimed for `nodeId`; returns those another node holds instead. */
  async refresh(rooms: readonly string[], nodeId: string): Promise<string[]> {
    if (rooms.length === 0) return [];
    const lost = await this.link.command(["EVAL", REFRESH, String(rooms.length), ...rooms.map(roomKey), nodeId, String(CLAIM_TTL_MS)]);
    const keys = new Set(Array.isArray(lost) ? lost.map(String) : []);
    return rooms.filter((room) => keys.has(roomKey(room)));
  }

  /** Drops the claim if `nodeId` still holds it (its room closed, or that node is gone). */
  async release(room: string, nodeId: string): Promise<void> {
    await this.link.command(["EVAL", RELEASE, "1", roomKey(room), nodeId]);
  }
}
