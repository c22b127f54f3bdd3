/** Extends 16-bit RTP sequence numbers to a monotonic counter, tolerating wrap-around and reordering. */
export class SequenceUnwrapper {
  private last: number | undefined;

  unwrap(seq: number): number {
    if (this.last === undefined) {
      this.last = seq;
      return seq;
    }
    const lastLow = this.last & 0xffff;
    let delta = seq - lastLow;
    if (delta > 0x8000) delta -= 0x10000;
    else if (delta < -0x8000) delta += 0x10000;
    const extended = this.last + delta;
    if (extended > this.last) this.last = extended;
    return extended;
  }

  reset(): void {
    this.last = undefined;
  }
}
