import { randomUUID } from "node:crypto";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../log.js";
import type { WebhookEvent } from "./webhookEvents.js";
import { SIGNATURE_HEADER, signWebhook } from "./webhookSignature.js";
import { jitteredBackoff } from "../retryBackoff.js";

export interface WebhooksOptions {
  /** Receivers: every event goes to each, in order per room. */
  readonly urls: readonly string[];
  /** HMAC key of the signature header. */
  readonly secret: string;
  readonly log: Logger;
  /** One attempt's limit: a receiver that has not answered by then has failed this attempt. */
  readonly timeoutMs: number;
  /** How long an event is retried (from its first attempt) before it is dropped. */
  readonly retryForMs: number;
  /** Back-off before the first retry; it doubles per attempt, up to maxBackoffMs (default 1 s and 60 s). */
  readonly firstBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Events waiting per room and receiver at most; past it the oldest is dropped (default 1000). */
  readonly maxQueued?: number;
}

interface Pending {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  firstAttemptAt?: number;
  attempts: number;
}

/** One receiver's events of one room, sent one at a time in order. */
interface Queue {
  readonly url: string;
  /** The receiver as logged: origin and path (a query may hold a token). */
  readonly shown: string;
  readonly room: string;
  readonly items: Pending[];
  running: boolean;
}

export type WebhookOutcome = "delivered" | "failed_attempt" | "dropped";

/**
 * Event notifications to the operator's backend (WEBHOOK_URL): JSON POSTs signed with WEBHOOK_SECRET, in
 * order per room and receiver, each retried with doubling back-off (1 s to 60 s, jittered) for a bounded
 * time, then dropped with a log line and a metric. send() only queues: no caller (the media path, a room's
 * teardown) ever waits for a receiver, and a receiver that never answers holds up only its own queue, one
 * timeout per attempt.
 */
export class Webhooks {
  private readonly queues = new Map<string, Queue>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private closed = false;
  private readonly counts: Record<WebhookOutcome, number> = { delivered: 0, failed_attempt: 0, dropped: 0 };
  private idle: (() => void)[] = [];

  constructor(private readonly options: WebhooksOptions) {}

  /** Queues `event` for every receiver; returns at once. */
  send(room: string, event: WebhookEvent): void {
    if (this.closed) return;
    const id = randomUUID();
    const body = JSON.stringify({ id, createdAt: new Date().toISOString(), room, ...event });
    for (const url of this.options.urls) {
      const key = `${url}\n${room}`;
      let queue = this.queues.get(key);
      if (!queue) {
        const u = new URL(url);
        queue = { url, shown: u.origin + u.pathname, room, items: [], running: false };
        this.queues.set(key, queue);
      }
      queue.items.push({ id, type: event.type, body, attempts: 0 });
      if (queue.items.length > (this.options.maxQueued ?? 1000))
        this.drop(queue, queue.items.shift()!, "too many events waiting for this receiver");
      if (!queue.running) void this.run(queue);
    }
  }

  /** Deliveries so far by outcome (the metric's values). */
  get stats(): Readonly<Record<WebhookOutcome, number>> {
    return { ...this.counts };
  }

  /** Events waiting or being sent, all receivers. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length;
    return n;
  }

  registerMetrics(registry: Registry): void {
    const counts = this.counts;
    new Counter({
      name: "tessera_webhook_deliveries_total",
      help: "Webhook requests by outcome: delivered (2xx), failed_attempt (error, timeout or non-2xx; retried), dropped (retries ran out or too many waiting)",
      labelNames: ["outcome"],
      registers: [registry],
      collect() {
        this.reset();
        for (const outcome of Object.keys(counts) as WebhookOutcome[]) this.inc({ outcome }, counts[outcome]);
      },
    });
    const pending = () => this.pending;
    new Gauge({
      name: "tessera_webhook_pending",
      help: "Webhook events waiting to be delivered",
      registers: [registry],
      collect() {
        this.set(pending());
      },
    });
  }

  /** Resolves when nothing is waiting, or after `ms`: a shutdown gives the last events (room finished) a chance. */
  async drain(ms: number): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops: retries waiting are abandoned (their events logged as dropped). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers) wake();
  }

  private async run(queue: Queue): Promise<void> {
    queue.running = true;
    try {
      while (queue.items.length > 0 && !this.closed) {
        const item = queue.items[0];
        item.firstAttemptAt ??= performance.now();
        item.attempts++;
        const failure = await this.attempt(queue.url, item);
        if (failure === undefined) {
          this.counts.delivered++;
          queue.items.shift();
          continue;
        }
        this.counts.failed_attempt++;
        const backoff = this.backoff(item.attempts);
        const elapsed = performance.now() - item.firstAttemptAt;
        if (elapsed + backoff > this.options.retryForMs) {
          queue.items.shift();
          this.drop(queue, item, `${failure}; gave up after ${item.attempts} attempts in ${Math.round(elapsed / 1000)} s`);
          continue;
        }
        this.options.log.warn("webhook attempt failed: retrying", {
          url: queue.shown,
          room: queue.room,
          event: item.type,
          attempt: item.attempts,
          retryInMs: Math.round(backoff),
          error: failure,
        });
        await this.sleep(backoff);
      }
      if (this.closed) for (const item of queue.items.splice(0)) this.drop(queue, item, "the server is stopping");
    } finally {
      queue.running = false;
      if (queue.items.length === 0) this.queues.delete(`${queue.url}\n${queue.room}`);
      if (this.pending === 0) for (const done of this.idle.splice(0)) done();
    }
  }

  /** undefined when the receiver took it (2xx), else why not. */
  private async attempt(url: string, item: Pending): Promise<string | undefined> {
    const signature = signWebhook(this.options.secret, item.body, Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signature,
          "tessera-event": item.type,
          "tessera-event-id": item.id,
          "user-agent": "tessera-webhooks",
        },
        body: item.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: "error",
      });
      // The body is not read, but must be let go of so the connection is freed.
      await res.body?.cancel().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === "TimeoutError") return `no answer within ${this.options.timeoutMs} ms`;
      return e.cause?.code ?? e.message;
    }
  }

  private backoff(attempts: number): number {
    return jitteredBackoff(attempts, this.options.firstBackoffMs ?? 1000, this.options.maxBackoffMs ?? 60_000);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }

  private drop(queue: Queue, item: Pending, why: string): void {
    this.counts.dropped++;
    this.options.log.error("webhook dropped", {
      url: queue.shown,
      room: queue.room,
      event: item.type,
      eventId: item.id,
      attempts: item.attempts,
      reason: why,
    });
  }
}
