/** How often misses may read the directory again: a stream of foreign origins costs Redis one read per this. */
export const ORIGIN_REREAD_MS = 1000;

/**
 * The web origins of the cluster's live nodes (their NODE_URLs): what a page served by one node may open
 * its socket to (the CSP's connect-src) and whose pages another node admits (the origin check). Kept from
 * the directory reads the node does anyway (heartbeat, placement); a lookup that misses reads it again
 * (misses together at most once per ORIGIN_REREAD_MS, whatever the heartbeat read), so a node that
 * registered since the last heartbeat is admitted at once while a dead one is dropped with its record.
 */
export class NodeOrigins {
  private origins: readonly string[] = [];
  /** When a miss last read the directory (heartbeat reads do not count: a node may register just after one). */
  private lastReread = -Infinity;
  private reading: Promise<void> | undefined;

  /** `read`: the NODE_URLs of the live nodes, from the directory (throws while it is unreachable). */
  constructor(
    private readonly read: () => Promise<readonly string[]>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The live nodes' origins as last read. */
  current(): readonly string[] {
    return this.origins;
  }

  /** Replaces the view with the NODE_URLs of a fresh directory read. */
  update(urls: readonly string[]): void {
    this.origins = [...new Set(urls.flatMap((url) => originOf(url) ?? []))];
  }

  /** Whether `origin` is a live node's; a miss reads the directory again unless misses did within ORIGIN_REREAD_MS. */
  async includes(origin: string): Promise<boolean> {
    const wanted = originOf(origin);
    if (wanted === undefined) return false;
    if (this.origins.includes(wanted)) return true;
    if (this.reading || this.now() - this.lastReread >= ORIGIN_REREAD_MS) await this.reread();
    return this.origins.includes(wanted);
  }

  private reread(): Promise<void> {
    if (this.reading) return this.reading;
    this.lastReread = this.now();
    return (this.reading = this.read()
      .then((urls) => this.update(urls))
      // Unreachable directory: the last view stands (a node without Redis keeps serving its rooms).
      .catch(() => undefined)
      .finally(() => (this.reading = undefined)));
  }
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}
