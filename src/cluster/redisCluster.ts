import type { ClusterConfig } from "../config.js";
import type { Logger } from "../log.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import type { Cluster, ClusterHealth, ClusterRoom, NodeRef, Placement } from "./cluster.js";
import { HEARTBEAT_MS } from "./keys.js";
import type { NodeLoadSampler } from "./nodeLoad.js";
import { NodeOrigins } from "./nodeOrigins.js";
import { NodeRegistry, nodeRefOf, type NodeRecord } from "./nodeRegistry.js";
import { chooseNode } from "./placement.js";
import { RedisLink } from "./redisLink.js";
import { RoomClaims } from "./roomClaims.js";

export interface RedisClusterOptions {
  /** REDIS_URL, NODE_URL, NODE_ID. */
  readonly config: ClusterConfig;
  /** MAX_ROOMS: this node's capacity, as the others see it. */
  readonly maxRooms: number;
  /** This node's rooms: their claims are kept, and the node's record lists them. */
  readonly rooms: RoomRegistry;
  /** This node's load, published with its record. */
  readonly load: NodeLoadSampler;
  readonly log: Logger;
}

/** How many times a placement re-reads after losing a race (another node claimed first, a stale claim dropped). */
const PLACE_ATTEMPTS = 4;

/**
 * This node as one of several sharing a Redis: registers itself every HEARTBEAT_MS with a TTL, keeps the
 * claims of its rooms, places new rooms on the least-loaded live node, and finds the node of any room.
 * Without Redis it keeps its rooms and refuses new ones until a command succeeds again.
 */
export class RedisCluster implements Cluster {
  private readonly link: RedisLink;
  private readonly nodes: NodeRegistry;
  private readonly claims: RoomClaims;
  private readonly origins: NodeOrigins;
  private readonly self: NodeRef;
  private readonly timer: NodeJS.Timeout;
  /** Rooms this node claimed for another in the last heartbeats: that node's record does not count them yet. */
  private readonly pending = new Map<string, { nodeId: string; until: number }>();
  private draining = false;
  private closed = false;
  private beating: Promise<void> | undefined;
  private readonly onRoomClosed = (room: string) => {
    if (this.link.state === "connected") void this.claims.release(room, this.self.id).catch(() => undefined);
    void this.heartbeat();
  };

  private constructor(
    private readonly options: RedisClusterOptions,
    link: RedisLink,
  ) {
    this.self = { id: options.config.nodeId, url: options.config.nodeUrl };
    this.link = link;
    this.nodes = new NodeRegistry(this.link, options.log);
    this.claims = new RoomClaims(this.link);
    this.origins = new NodeOrigins(async () => this.urlsOf(await this.nodes.live()));
    this.link.on("lost", (reason) =>
      options.log.warn("redis connection lost: keeping this node's rooms, refusing new ones until it is back", {
        reason,
        rooms: options.rooms.all().length,
      }),
    );
    this.link.on("connected", () => {
      options.log.info("redis connected: this node takes rooms", { url: this.self.url });
      void this.heartbeat();
    });
    options.rooms.on("roomClosed", this.onRoomClosed);
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  static async start(options: RedisClusterOptions): Promise<RedisCluster> {
    const cluster = new RedisCluster(options, await RedisLink.create(options.config.redisUrl, options.log));
    await cluster.link.open();
    await cluster.heartbeat();
    if (cluster.link.state !== "connected")
      options.log.warn("redis not reachable at start: this node refuses new rooms until it is", { nodeId: cluster.self.id });
    return cluster;
  }

  async place(room: string): Promise<Placement> {
    if (this.draining) return { kind: "unavailable", reason: "this node is shutting down" };
    try {
      for (let attempt = 0; attempt < PLACE_ATTEMPTS; attempt++) {
        const owner = await this.claims.owner(room);
        const live = await this.liveNodes();
        if (owner === this.self.id) return { kind: "here" };
        if (owner !== undefined) {
          const node = live.find((n) => n.id === owner);
          if (node) return { kind: "elsewhere", node: nodeRefOf(node) };
          // Its node is gone (its record expired first): the claim is the last of it.
          await this.claims.release(room, owner);
          this.options.log.info("room's node is gone: placing it again", { room, deadNode: owner });
          continue;
        }
        const chosen = chooseNode(live.map((record) => ({ record, pendingRooms: this.pendingFor(record.id) })));
        if (!chosen) return { kind: "unavailable", reason: "no node can take a new room (every node is full, draining or unreachable)" };
        if (!(await this.claims.claim(room, chosen.id))) continue;
        if (chosen.id === this.self.id) return { kind: "here" };
        this.pending.set(room, { nodeId: chosen.id, until: performance.now() + 2 * HEARTBEAT_MS });
        this.options.log.debug("room placed on another node", { room, on: chosen.id });
        return { kind: "elsewhere", node: nodeRefOf(chosen) };
      }
      return { kind: "unavailable", reason: "the room's placement kept changing; try again" };
    } catch (err) {
      return { kind: "unavailable", reason: `this node has lost its connection to the room directory (${(err as Error).message})` };
    }
  }

  async locate(room: string): Promise<NodeRef | undefined> {
    const owner = await this.claims.owner(room);
    if (owner === undefined || owner === this.self.id) return undefined;
    const node = (await this.readLive()).find((n) => n.id === owner);
    return node ? nodeRefOf(node) : undefined;
  }

  async remoteRooms(): Promise<ClusterRoom[]> {
    const records = await this.readLive();
    return records.filter((r) => r.id !== this.self.id).flatMap((r) => r.rooms.map((room) => ({ ...room, node: nodeRefOf(r) })));
  }

  nodeOrigins(): readonly string[] {
    return this.origins.current();
  }

  isNodeOrigin(origin: string): Promise<boolean> {
    return this.origins.includes(origin);
  }

  health(): ClusterHealth {
    const redis = this.link.state;
    return { redis, acceptingRooms: redis === "connected" && !this.draining, draining: this.draining, node: this.self };
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.options.log.info("draining: this node takes no new rooms");
    // Said at once, so the other nodes stop placing rooms here before the next heartbeat.
    void this.heartbeat();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.options.rooms.off("roomClosed", this.onRoomClosed);
    await this.beating;
    if (this.link.state === "connected") {
      await Promise.all(this.localRooms().map((room) => this.claims.release(room, this.self.id))).catch(() => undefined);
      await this.nodes.remove(this.self.id).catch(() => undefined);
    }
    await this.link.close();
  }

  /** The live nodes, this one with its figures of now rather than of its last heartbeat. */
  private async liveNodes(): Promise<NodeRecord[]> {
    const live = await this.readLive();
    return [...live.filter((n) => n.id !== this.self.id), this.record()];
  }

  /** The directory's live nodes; every read also renews the view of their origins. */
  private async readLive(): Promise<NodeRecord[]> {
    const live = await this.nodes.live();
    this.origins.update(this.urlsOf(live));
    return live;
  }

  /** This node's own NODE_URL counts even before its first record is in: a page here may be sent back here. */
  private urlsOf(live: readonly NodeRecord[]): string[] {
    return [this.self.url, ...live.map((n) => n.url)];
  }

  private pendingFor(nodeId: string): number {
    const now = performance.now();
    let count = 0;
    for (const [room, p] of this.pending) {
      if (p.until < now) this.pending.delete(room);
      else if (p.nodeId === nodeId) count++;
    }
    return count;
  }

  private localRooms(): string[] {
    return this.options.rooms.all().map((r) => r.name);
  }

  private record(): NodeRecord {
    return {
      ...this.self,
      draining: this.draining,
      acceptingRooms: !this.draining,
      maxRooms: this.options.maxRooms,
      load: this.options.load.current(),
      rooms: this.options.load.roomSummaries(),
      updatedAt: new Date().toISOString(),
    };
  }

  /** The record rewritten and every local room's claim kept; one at a time (a slow Redis does not pile them up). */
  private heartbeat(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return (this.beating ??= (async () => {
      try {
        await this.nodes.publish(this.record());
        const lost = await this.claims.refresh(this.localRooms(), this.self.id);
        // Only after a Redis outage: someone placed the room elsewhere meanwhile. Both go on; the log says so.
        for (const room of lost)
          this.options.log.warn("room is claimed by another node too (placed there while this node had no Redis)", { room });
        // Last, so its failing never costs a claim: the nodes' origins follow the directory even on a node
        // nobody joins through (its pages' CSP, its origin check).
        await this.readLive();
      } catch {
        // The link's state says it; the next heartbeat tries again.
      } finally {
        this.beating = undefined;
      }
    })());
  }
}
