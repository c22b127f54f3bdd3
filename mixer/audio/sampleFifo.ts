export interface SampleFifoOptions {
  /** Samples buffered before playout starts (and again after an underrun): absorbs network jitter. */
  readonly prefill: number;
  /** Beyond this the oldest samples are dropped, so a burst cannot build up lasting delay. */
  readonly maxSamples: number;
}

/** A participant's decoded audio waiting for the mixer's next tick. */
export class SampleFifo {
  private chunks: Int16Array[] = [];
  private offset = 0;
  private length = 0;
  private playing = false;
  underruns = 0;
  dropped = 0;

  constructor(private readonly options: SampleFifoOptions) {}

  get buffered(): number {
    return this.length;
  }

  push(samples: Int16Array): void {
    this.chunks.push(samples);
    this.length += samples.length;
    if (this.length > this.options.maxSamples) {
      const excess = this.length - this.options.prefill;
      this.discard(excess);
      this.dropped += excess;
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
      return undefined;
    }
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
