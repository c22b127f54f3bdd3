// What the cluster keeps in Redis (docs/scaling.md, "What is in Redis"). Every key expires by itself, so a
// node that dies leaves nothing behind for longer than a TTL.

/** How often a node rewrites its record and refreshes the claims of its rooms. */
export const HEARTBEAT_MS = 2000;
/** A node's record lives this long unrefreshed: a dead node is gone from placement within it. */
export const NODE_TTL_MS = 6000;
/** A room's claim lives this long unrefreshed: a dead node's rooms can be placed again after it. */
export const CLAIM_TTL_MS = 6000;
/** A Redis command that takes longer fails, and the node counts its Redis as lost until one succeeds. */
export const COMMAND_TIMEOUT_MS = 1500;

const PREFIX = "tessera:";

/** Set of node ids that have registered (members whose record has expired are pruned by readers). */
export const NODES_KEY = `${PREFIX}nodes`;
/** A node's record: JSON of NodeRecord, PX NODE_TTL_MS. */
export const nodeKey = (id: string): string => `${PREFIX}node:${id}`;
/** A room's claim: the id of the node that hosts it, PX CLAIM_TTL_MS. */
export const roomKey = (room: string): string => `${PREFIX}room:${room}`;
