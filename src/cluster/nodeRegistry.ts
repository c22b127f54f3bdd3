import { z } from "zod";
import type { Logger } from "../log.js";
import type { NodeRef } from "./cluster.js";
import { NODE_TTL_MS, NODES_KEY, nodeKey } from "./keys.js";
import type { RedisLink } from "./redisLink.js";

const roomSummarySchema = z.object({
  name: z.string(),
  mode: z.enum(["mcu", "sfu", "mesh"]),
  participants: z.number(),
  senders: z.number(),
  recording: z.boolean(),
});

/** A node's record in Redis: who it is, whether it takes rooms, what it carries. */
export const nodeRecordSchema = z.object({
  id: z.string(),
  url: z.string(),
  draining: z.boolean(),
  acceptingRooms: z.boolean(),
  maxRooms: z.number(),
  load: z.object({ rooms: z.number(), participants: z.number(), senders: z.number(), cpuUsed: z.number(), cpuAllowed: z.number() }),
  rooms: z.array(roomSummarySchema),
  updatedAt: z.string(),
});
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

export function nodeRefOf(record: NodeRecord): NodeRef {
  return { id: record.id, url: record.url };
}

/**
 * The live nodes: each writes its own record with a TTL (publish), everyone reads them all (live). A node
 * whose record has expired is not live, whatever the set of ids still says; readers prune it from the set.
 */
export class NodeRegistry {
  constructor(
    private readonly link: RedisLink,
    private readonly log: Logger,
  ) {}

  async publish(record: NodeRecord): Promise<void> {
    await this.link.command(["SET", nodeKey(record.id), JSON.stringify(record), "PX", String(NODE_TTL_MS)]);
    await this.link.command(["SADD", NODES_KEY, record.id]);
  }

  async live(): Promise<NodeRecord[]> {
    const ids = await this.link.command(["SMEMBERS", NODES_KEY]);
    if (!Array.isArray(ids) || ids.length === 0) return [];
    const names = ids.map(String);
    const values = await this.link.command(["MGET", ...names.map(nodeKey)]);
    const records: NodeRecord[] = [];
    const expired: string[] = [];
    names.forEach((id, i) => {
      const value = Array.isArray(values) ? values[i] : null;
      if (typeof value !== "string") return void expired.push(id);
      const parsed = nodeRecordSchema.safeParse(safeJson(value));
      if (parsed.success) records.push(parsed.data);
      else this.log.warn("ignoring an unreadable node record in redis", { nodeId: id });
    });
    if (expired.length > 0) await this.link.command(["SREM", NODES_KEY, ...expired]);
    return records;
  }

  async remove(id: string): Promise<void> {
    await this.link.command(["DEL", nodeKey(id)]);
    await this.link.command(["SREM", NODES_KEY, id]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
