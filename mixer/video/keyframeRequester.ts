export interface KeyframeRequesterOptions {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
}

/**
 * Decides when a PLI may go out. The first request is immediate; while no keyframe arrives, repeats
 * back off exponentially so a sender that cannot answer is not flooded; a keyframe resets the back-off.
 */
export class KeyframeRequester {
  private lastSentAt = -Infinity;
  private interval: number;
  private waiting = false;

  constructor(
    private readonly options: KeyframeRequesterOptions,
    private readonly requestKeyframe: () => void,
  ) {
    this.interval = options.minIntervalMs;
  }

  request(now: number): void {
    this.waiting = true;
    this.maybeSend(now);
  }

  /** Called periodically so an unanswered request is repeated. */
  poll(now: number): void {
    if (this.waiting) this.maybeSend(now);
  }

  keyframeArrived(): void {
    this.waiting = false;
    this.interval = this.options.minIntervalMs;
  }

  private maybeSend(now: number): void {
    if (now - this.lastSentAt < this.interval) return;
    if (this.lastSentAt !== -Infinity) this.interval = Math.min(this.interval * 2, this.options.maxIntervalMs);
    this.lastSentAt = now;
    this.requestKeyframe();
  }
}
