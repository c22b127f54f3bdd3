import type { Cluster, ClusterHealth, Placement } from "./cluster.js";

/** No REDIS_URL: this node is the whole deployment, every room is placed here and nothing else runs. */
export class SingleNode implements Cluster {
  private draining = false;

  async place(): Promise<Placement> {
    // As before clusters: a stopping server refuses new sockets at the upgrade, so nothing changes here.
    return { kind: "here" };
  }

  async locate(): Promise<undefined> {
    return undefined;
  }

  async remoteRooms(): Promise<[]> {
    return [];
  }

  nodeOrigins(): readonly string[] {
    return [];
  }

  async isNodeOrigin(): Promise<boolean> {
    return false;
  }

  health(): ClusterHealth {
    return { redis: "off", acceptingRooms: !this.draining, draining: this.draining };
  }

  drain(): void {
    this.draining = true;
  }

  async close(): Promise<void> {}
}
