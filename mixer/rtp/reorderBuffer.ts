import { SequenceUnwrapper } from "./sequence.js";

export interface SequencedPacket {
  readonly header: { readonly sequenceNumber: number; readonly ssrc?: number };
}

export interface ReorderBufferOptions {
  /** How long a gap may hold later packets back, waiting for a reordered or retransmitted packet. */
  readonly maxWaitMs: number;
  /** Held packets beyond this skip the gap at once (bounds memory under a burst of loss). */
  readonly maxPackets: number;
  /** A jump this far in either direction means the sender restarted its sequence: start over. */
  readonly resetDistance?: number;
}

export interface ReorderBufferSink<P> {
  packet(packet: P): void;
  /** `count` packets were given up on; the next packet delivered follows the hole. */
  lost(count: number): void;
}

interface Held<P> {
  readonly packet: P;
  readonly arrivedAt: number;
}

/**
 * Puts RTP packets back into sequence order. In-order packets pass straight through; a gap holds later
 * packets until the missing one arrives (NACK retransmissions land here) or until the oldest held
 * packet has waited maxWaitMs. Work per packet is at most linear in the held packets, and those are
 * capped at maxPackets, so heavy loss costs about what light loss does (werift's JitterBufferCallback
 * goes quadratic there).
 */
export class ReorderBuffer<P extends SequencedPacket> {
  private readonly unwrapper = new SequenceUnwrapper();
  private readonly held = new Map<number, Held<P>>();
  private next: number | undefined;
  private ssrc: number | undefined;
  private oldestHeldAt = Infinity;
  private readonly stats = { delivered: 0, lost: 0, late: 0, duplicates: 0, resets: 0 };

  constructor(
    private readonly options: ReorderBufferOptions,
    private readonly sink: ReorderBufferSink<P>,
  ) {}

  get counters(): Readonly<typeof this.stats> {
    return this.stats;
  }

  get heldCount(): number {
    return this.held.size;
  }

  push(packet: P, now: number): void {
    const ssrc = packet.header.ssrc;
    if (ssrc !== undefined && this.ssrc !== undefined && ssrc !== this.ssrc) {
      // Another stream from the same sender (their page came back on a fresh peer connection): its
      // numbering has nothing to do with the old one's, which may lie just ahead and hold it back as "late".
      this.restart();
      this.sink.lost(0);
    }
    this.ssrc = ssrc;
    let seq = this.unwrapper.unwrap(packet.header.sequenceNumber);
    if (this.next === undefined) this.next = seq;
    const resetDistance = this.options.resetDistance ?? 3000;
    if (Math.abs(seq - this.next) > resetDistance) {
      this.restart();
      seq = this.unwrapper.unwrap(packet.header.sequenceNumber);
      this.next = seq;
    }
    if (seq < this.next) {
      this.stats.late++;
      return;
    }
    if (this.held.has(seq)) {
      this.stats.duplicates++;
      return;
    }
    if (seq === this.next && this.held.size === 0) {
      this.deliver(packet);
      this.next++;
      return;
    }
    this.held.set(seq, { packet, arrivedAt: now });
    this.oldestHeldAt = Math.min(this.oldestHeldAt, now);
    this.drain(now);
  }

  /** Call periodically: releases packets held behind a gap that has waited too long. */
  poll(now: number): void {
    if (this.held.size) this.drain(now);
  }

  private drain(now: number): void {
    for (;;) {
      this.releaseRun();
      if (this.held.size === 0) {
        this.oldestHeldAt = Infinity;
        return;
      }
      const waitedTooLong = now - this.oldestHeldAt >= this.options.maxWaitMs;
      if (!waitedTooLong && this.held.size <= this.options.maxPackets) return;
      this.skipGap();
    }
  }

  private releaseRun(): void {
    let entry: Held<P> | undefined;
    while (this.next !== undefined && (entry = this.held.get(this.next))) {
      this.held.delete(this.next);
      this.deliver(entry.packet);
      this.next++;
    }
    if (this.held.size) this.oldestHeldAt = Math.min(...Array.from(this.held.values(), (h) => h.arrivedAt));
  }

  private skipGap(): void {
    const first = Math.min(...this.held.keys());
    const missing = first - (this.next ?? first);
    this.stats.lost += missing;
    this.next = first;
    this.sink.lost(missing);
  }

  private deliver(packet: P): void {
    this.stats.delivered++;
    this.sink.packet(packet);
  }

  private restart(): void {
    this.stats.resets++;
    this.held.clear();
    this.oldestHeldAt = Infinity;
    this.unwrapper.reset();
    this.next = undefined;
  }
}
