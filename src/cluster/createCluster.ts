import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import type { Cluster } from "./cluster.js";
import type { NodeLoadSampler } from "./nodeLoad.js";
import { SingleNode } from "./singleNode.js";

/**
 * The node's cluster: SingleNode without REDIS_URL; with it, RedisCluster, loaded only then (a dynamic
 * import), so a single node never loads the Redis client. Resolves once the first connection attempt has
 * settled: a node whose Redis is down still starts, keeps trying, and refuses new rooms meanwhile.
 */
export async function createCluster(config: Config, rooms: RoomRegistry, load: NodeLoadSampler, log: Logger): Promise<Cluster> {
  if (!config.cluster) return new SingleNode();
  const { RedisCluster } = await import("./redisCluster.js");
  return RedisCluster.start({
    config: config.cluster,
    maxRooms: config.maxRooms,
    rooms,
    load,
    log: log.child({ node: config.cluster.nodeId }),
  });
}
