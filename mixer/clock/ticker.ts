/**
 * Calls onTick at a fixed rate against the monotonic clock, not by chaining intervals, so timer jitter
 * does not accumulate into drift. After a stall it catches up at most `maxCatchUp` ticks and skips the
 * rest (reported as `skipped`), so a long pause does not produce a burst of frames.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private index = 0;
  skipped = 0;

  constructor(
    private readonly periodMs: number,
    private readonly onTick: (index: number, scheduledAt: number) => void,
    private readonly maxCatchUp = 3,
  ) {}

  start(): void {
    if (this.timer) return;
    this.startedAt = performance.now();
    this.index = 0;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const dueAt = this.startedAt + this.index * this.periodMs;
    this.timer = setTimeout(() => this.run(), Math.max(0, dueAt - performance.now()));
  }

  private run(): void {
    const now = performance.now();
    const due = Math.floor((now - this.startedAt) / this.periodMs) + 1 - this.index;
    if (due > this.maxCatchUp) {
      this.skipped += due - this.maxCatchUp;
      this.index += due - this.maxCatchUp;
    }
    const run = Math.min(due, this.maxCatchUp);
    for (let i = 0; i < run && this.timer; i++) {
      this.onTick(this.index, this.startedAt + this.index * this.periodMs);
      this.index++;
    }
    if (this.timer) this.schedule();
  }
}
