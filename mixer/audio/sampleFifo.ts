export interface SampleFifoOptions {
  /** Samples buffered before playout starts (and again after an underrun): absorbs network jitter. */
  readonly prefill: number;
  /** Beyond this the oldest samples are dropped, so a burst cannot build up lasting delay. */
  readonly maxSamples: number;
  /**
   * Pulls over which the lowest level is watched (default 25: half a second of 20 ms ticks). Whatever
   * stayed buffered above `prefill` for a whole window was never needed to absorb jitter: it is standing
   * delay a stall or a burst left behind, and it is dropped.
   */
  readonly trimWindowPulls?: number;
}

/** A participant's decoded audio waiting for the mixer's next tick. */
export class SampleFifo {
  private chunks: Int16Array[] = [];
  private offset = 0;
  private length = 0;
  private playing = false;
  underruns = 0;
  /** Samples dropped as standing delay (see `trimWindowPulls`). */
  trimmed = 0;
  private windowPulls = 0;
  private windowLowest = Infinity;

  constructor(private readonly options: SampleFifoOptions) {}

  get buffered(): number {
    return this.length;
  }

  push(samples: Int16Array): void {
    this.chunks.push(samples);
    this.length += samples.length;
    if (this.length > this.options.maxSamples) {
      this.discard(this.length - this.options.prefill);
    }
  }

  /** Exactly `count` samples, or undefined while prefilling or after running dry. */
  pull(count: number): Int16Array | undefined {
    if (!this.playing) {
      if (this.length < Math.max(count, this.options.prefill)) return undefined;
      this.playing = true;
    }
    if (this.length < count) {
      this.playing = false;
      this.underruns++;
      this.resetWindow();
      return undefined;
    }
    this.trimStandingDelay(count);
    const out = new Int16Array(count);
    let written = 0;
    while (written < count) {
      const head = this.chunks[0];
      const take = Math.min(count - written, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + take), written);
      written += take;
      this.advance(take);
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.offset = 0;
    this.length = 0;
    this.playing = false;
    this.resetWindow();
  }

  /**
   * Without this, audio that piled up in a stall plays that much late for as long as the stream runs
   * (nothing else drains it while packets keep coming at the tick's rate), which a recording keeps as
   * audio behind its picture. Only whole ticks' worth go, so a window that merely wobbled keeps its level.
   */
  private trimStandingDelay(count: number): void {
    this.windowLowest = Math.min(this.windowLowest, this.length);
    if (++this.windowPulls < (this.options.trimWindowPulls ?? 25)) return;
    const standing = this.windowLowest - this.options.prefill;
    if (standing >= count) {
      this.discard(standing);
      this.trimmed += standing;
    }
    this.resetWindow();
  }

  private resetWindow(): void {
    this.windowPulls = 0;
    this.windowLowest = Infinity;
  }

  private discard(count: number): void {
    while (count > 0 && this.chunks.length) {
      const take = Math.min(count, this.chunks[0].length - this.offset);
      this.advance(take);
      count -= take;
    }
  }

  private advance(count: number): void {
    this.offset += count;
    this.length -= count;
    if (this.offset >= this.chunks[0].length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}
