import { EventEmitter } from "node:events";
// Types only: the client itself is imported when a link is created, so a built single node (one bundle,
// where esbuild hoists static imports of external packages) never loads it.
import type { createClient } from "@redis/client";
import type { Logger } from "../log.js";
import { COMMAND_TIMEOUT_MS } from "./keys.js";

/** A Redis reply as the cluster reads it (RESP2: strings, integers, arrays of them, nil). */
export type RedisReply = string | number | null | RedisReply[];

export type RedisState = "connected" | "lost";

type RedisClient = ReturnType<typeof createClient>;

/**
 * The node's one Redis connection. Its state is what the last command said: a command that fails or
 * takes longer than COMMAND_TIMEOUT_MS (a Redis that is down, unreachable, or frozen with its socket still
 * open) makes it "lost"; the next one that succeeds makes it "connected" again. The client reconnects by
 * itself; commands are not queued while it is away (they fail at once).
 */
export class RedisLink extends EventEmitter<{ connected: []; lost: [reason: string] }> {
  private current: RedisState = "lost";
  private closed = false;
  private lastErrorLog = -Infinity;

  /** A link to `url`, not yet connecting (see open()). */
  static async create(url: string, log: Logger): Promise<RedisLink> {
    const { createClient } = await import("@redis/client");
    return new RedisLink(
      createClient({
        url,
        disableOfflineQueue: true,
        commandOptions: { timeout: COMMAND_TIMEOUT_MS },
        socket: { connectTimeout: COMMAND_TIMEOUT_MS, reconnectStrategy: (retries) => Math.min(200 * (retries + 1), 1000) },
      }),
      log,
    );
  }

  private constructor(
    private readonly client: RedisClient,
    private readonly log: Logger,
  ) {
    super();
    // Connection errors repeat at every retry: the state change is logged once, the errors at most every 10 s.
    this.client.on("error", (err: Error) => {
      const now = performance.now();
      if (now - this.lastErrorLog < 10_000) return;
      this.lastErrorLog = now;
      this.log.debug("redis client error", { error: err.message });
    });
  }

  get state(): RedisState {
    return this.current;
  }

  /** Starts connecting; resolves when connected or after `waitMs`, whichever is first (the client keeps trying). */
  async open(waitMs = 3000): Promise<void> {
    const connecting = this.client.connect().catch((err: Error) => this.log.debug("redis connect failed", { error: err.message }));
    await Promise.race([connecting, new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  /** One command; its outcome updates the state. */
  async command(args: readonly string[]): Promise<RedisReply> {
    if (this.closed) throw new Error("redis link closed");
    // A first connection that failed outright leaves the client closed: start it again (it then retries by itself).
    if (!this.client.isOpen) void this.client.connect().catch(() => undefined);
    try {
      const reply = await this.client.sendCommand<RedisReply>(args);
      this.mark("connected");
      return reply;
    } catch (err) {
      this.mark("lost", (err as Error).message);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }

  private mark(state: RedisState, reason = ""): void {
    if (this.closed || state === this.current) return;
    this.current = state;
    if (state === "connected") this.emit("connected");
    else this.emit("lost", reason);
  }
}
