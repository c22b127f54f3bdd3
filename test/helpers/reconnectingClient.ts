import { TestClient, type TestClientOptions } from "./testClient.js";

const RETRY_MS = 300;
const WATCH_MS = 100;

/**
 * A participant that comes back by itself when its connection drops, as the page's reconnection does
 * (branch `reconnect`): each time it enters again through the next of `entries` (a load balancer in front
 * of the nodes), follows the redirect to the room's node and joins as a new participant there.
 */
export class ReconnectingClient {
  /** The client of the current connection. */
  current: TestClient;
  /** Every client it has been, the current one last. */
  readonly generations: TestClient[] = [];
  private entry = 0;
  private reconnecting: Promise<void> | undefined;
  private closed = false;
  private readonly watch: NodeJS.Timeout;

  constructor(
    private readonly options: Omit<TestClientOptions, "url">,
    private readonly entries: readonly string[],
  ) {
    this.current = this.fresh();
    this.watch = setInterval(() => {
      if (!this.closed && !this.reconnecting && this.current.id !== "" && !this.current.socketOpen) void this.reconnect();
    }, WATCH_MS);
  }

  /** The first connection (through the first entry that admits it, trying each in turn). */
  connect(timeoutMs = 30_000): Promise<void> {
    return this.untilConnected(timeoutMs);
  }

  /**
   * Resolves once a connection made after `since` (performance.now()) is up (media connected), with when its
   * join was admitted: the moment the room was placed again, which media setup time does not blur.
   */
  async reconnected(since: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const at = this.connectedAt.get(this.current);
      if (at !== undefined && at > since) return this.current.joinedAt ?? at;
      if (performance.now() > deadline) throw new Error(`${this.options.name}: not reconnected within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watch);
    await this.reconnecting;
    await Promise.all(this.generations.map((c) => c.close()));
  }

  private readonly connectedAt = new WeakMap<TestClient, number>();

  private fresh(): TestClient {
    const client = new TestClient({ ...this.options, url: this.entries[this.entry++ % this.entries.length] });
    this.generations.push(client);
    return client;
  }

  private reconnect(): Promise<void> {
    return (this.reconnecting ??= (async () => {
      try {
        const dropped = this.current;
        await dropped.close();
        this.current = this.fresh();
        await this.untilConnected(30_000);
      } finally {
        this.reconnecting = undefined;
      }
    })());
  }

  private async untilConnected(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let lastError: string;
    while (!this.closed) {
      try {
        await this.current.connect();
        this.connectedAt.set(this.current, performance.now());
        return;
      } catch (err) {
        lastError = (err as Error).message;
        await this.current.close();
        if (performance.now() > deadline)
          throw new Error(`${this.options.name}: could not connect within ${timeoutMs} ms: ${lastError}`, { cause: err });
        await new Promise((r) => setTimeout(r, RETRY_MS));
        this.current = this.fresh();
      }
    }
  }
}
