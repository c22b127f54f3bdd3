// When the page tries again after losing the server: exponential back-off with jitter, capped, and which
// endings are worth another try at all.

import type { ByeReason } from "../protocol/byeReasons.js";
import type { ErrorCode } from "../protocol/errorCodes.js";
import type { TesseraView } from "./automation.js";

export interface RetryPolicyOptions {
  /** The first wait, before jitter (ms). */
  readonly baseMs: number;
  /** No wait is longer than this (ms). */
  readonly maxMs: number;
  /** After this long without getting back (ms since the connection was lost), give up. */
  readonly giveUpAfterMs: number;
  /** A number in [0, 1): Math.random in the page, fixed in tests. */
  readonly random: () => number;
  /** The clock (ms). */
  readonly now: () => number;
}

/**
 * 0.5-1 s, 1-2 s, 2-4 s, 4-8 s, then 5-10 s: the first try comes quickly (a server restart takes a couple of
 * seconds), and a room full of pages that lost the same server spreads its returns instead of arriving at
 * once. Five minutes of failed tries end the session.
 */
export const DEFAULT_RETRY: Omit<RetryPolicyOptions, "random" | "now"> = { baseMs: 1000, maxMs: 10_000, giveUpAfterMs: 5 * 60_000 };

/**
 * The wait before try number `attempt` (0 = the first): "equal jitter", half of the exponential step fixed
 * and half random, so no wait is near zero and no two pages keep the same schedule.
 */
export function backoffDelay(attempt: number, options: Pick<RetryPolicyOptions, "baseMs" | "maxMs">, random: number): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return step / 2 + (step / 2) * random;
}

/** One run of tries after a lost connection; reset() once the page is back. */
export class RetryPolicy {
  private attempt = 0;
  private lostAt: number | undefined;

  constructor(private readonly options: RetryPolicyOptions) {}

  /** How many tries this run has made. */
  get attempts(): number {
    return this.attempt;
  }

  /** The wait before the next try, or null when it is time to give up. */
  next(): number | null {
    const now = this.options.now();
    this.lostAt ??= now;
    if (now - this.lostAt >= this.options.giveUpAfterMs) return null;
    return backoffDelay(this.attempt++, this.options, this.options.random());
  }

  /** Back in the room: the next loss starts again from the shortest wait. */
  reset(): void {
    this.attempt = 0;
    this.lostAt = undefined;
  }
}

/**
 * Fatal errors that end this connection but not the visit: the server is stopping (it will be back, or
 * another behind the same address), the room failed (joining again starts it afresh), the media connection
 * failed or timed out (a network change). Refusals (room-full, bad-join, server-full, too-many-connections,
 * and a token refused) are final: trying again would be refused again.
 */
const RETRIED: ReadonlySet<ErrorCode | ByeReason> = new Set<ErrorCode | ByeReason>([
  "server-shutdown",
  "room-failed",
  "ice-failed",
  "offer-timeout",
]);

/** Whether the page should reconnect after this error or bye rather than end the session (left, kicked, replaced: never). */
export function worthRetrying(codeOrReason: ErrorCode | ByeReason): boolean {
  return RETRIED.has(codeOrReason);
}

/**
 * One visit's way back after lost connections: whether it has been in the room and had its media up (what
 * makes an ending worth another try), the schedule of tries, and how many times it got back. The owner of
 * these; the automation view gets a copy.
 */
export class Reconnection {
  private readonly policy: RetryPolicy;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private trying = false;
  private returns = 0;
  private wasJoined = false;
  private wasConnected = false;

  constructor(
    private readonly view: Pick<TesseraView, "reconnecting" | "reconnects">,
    options: RetryPolicyOptions = { ...DEFAULT_RETRY, random: Math.random, now: () => performance.now() },
  ) {
    this.policy = new RetryPolicy(options);
  }

  /** Some connection of this visit has joined the room. */
  get everJoined(): boolean {
    return this.wasJoined;
  }

  /** Some connection of this visit has had its media up. */
  get everConnected(): boolean {
    return this.wasConnected;
  }

  joined(): void {
    this.wasJoined = true;
  }

  /** The media is up: a run of tries, if any, is over and counted. */
  connected(): void {
    this.wasConnected = true;
    this.policy.reset();
    if (!this.trying) return;
    this.trying = false;
    this.view.reconnecting = false;
    this.view.reconnects = ++this.returns;
  }

  /**
   * Whether an ending is worth another try: a stopping server or failed room once this visit has been in
   * the room, a lost media connection once it had been up (one that never came up would fail again).
   */
  worth(code: ErrorCode | ByeReason): boolean {
    if (!worthRetrying(code)) return false;
    return code === "ice-failed" || code === "offer-timeout" ? this.wasConnected : this.wasJoined;
  }

  /** Runs `again` after the next wait; false when the time for trying is over (the visit gives up). */
  schedule(why: string, again: () => void): boolean {
    const delay = this.policy.next();
    if (delay === null) return false;
    console.info(`tessera: connection lost (${why}); trying again in ${Math.round(delay)} ms (try ${this.policy.attempts})`);
    this.trying = true;
    this.view.reconnecting = true;
    this.timer = setTimeout(() => {
      this.timer = null;
      again();
    }, delay);
    return true;
  }

  /** The visit is over: no more tries. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.trying = false;
    this.view.reconnecting = false;
  }
}
