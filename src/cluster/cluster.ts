import type { RoomSummary } from "../rooms/roomSummary.js";

/** A node as the others know it. */
export interface NodeRef {
  readonly id: string;
  /** Its http(s) origin (NODE_URL): its page, its /ws and its control API. */
  readonly url: string;
}

/** Where a join goes. */
export type Placement =
  /** This node holds the room, or has just claimed it: admit the participant here. */
  | { readonly kind: "here" }
  /** Another node holds it (or was just chosen for it): send the page there. */
  | { readonly kind: "elsewhere"; readonly node: NodeRef }
  /** The room is not here and this node cannot place it (draining, Redis lost, nowhere with capacity). */
  | { readonly kind: "unavailable"; readonly reason: string };

/** A room as the cluster lists it: its summary and the node that hosts it. */
export interface ClusterRoom extends RoomSummary {
  readonly node: NodeRef;
}

/** What /healthz says about this node's place in the cluster. */
export interface ClusterHealth {
  /** "off": no REDIS_URL, a single node; "connected" / "lost": the Redis connection. */
  readonly redis: "off" | "connected" | "lost";
  /** Whether a join may create a room on this node (false while draining or without Redis). */
  readonly acceptingRooms: boolean;
  readonly draining: boolean;
  readonly node?: NodeRef;
}

/**
 * This node's view of the cluster. Two implementations: SingleNode (no REDIS_URL: every room is here and
 * nothing is loaded) and RedisCluster (src/cluster/redisCluster.ts, imported only when REDIS_URL is set).
 */
export interface Cluster {
  /** Decides where a join for `room` goes; called for rooms this node does not hold (open) itself. */
  place(room: string): Promise<Placement>;
  /** The node of a room that is not on this node, if any live node holds it. */
  locate(room: string): Promise<NodeRef | undefined>;
  /** The rooms on the other live nodes (as they last published them). */
  remoteRooms(): Promise<ClusterRoom[]>;
  /**
   * The web origins (NODE_URLs) of the live nodes, this one included, as of the last directory read (every
   * heartbeat): where a page served here may be sent, so its Content-Security-Policy lets its socket go there.
   */
  nodeOrigins(): readonly string[];
  /** Whether a page from `origin` was served by a live node of this cluster (the /ws origin check). */
  isNodeOrigin(origin: string): Promise<boolean>;
  health(): ClusterHealth;
  /** SIGTERM: take no new rooms from now on (the rooms here go on until the server closes them). */
  drain(): void;
  /** Gives up this node's claims and its registration; stops its timers and its connection. */
  close(): Promise<void>;
}
