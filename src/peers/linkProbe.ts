import type { DeliveryReport } from "./linkEstimator.js";

/** What a probe of a receiver's link found. One home for the type: LinkMonitor runs probes, the room reads them. */
export interface ProbeResult {
  /** The link carried the rate asked for: a move up to the rung it was run for is safe. */
  readonly ok: boolean;
  /** What the receiver got while the probe ran (every packet sent in its window), bit/s; undefined: too little feedback. */
  readonly deliveredBps: number | undefined;
  /** What was sent in the window (media, audio and padding), bit/s. */
  readonly sentBps: number;
  /** Why it ended so, for the log: "carried", "loss", "queue", "short", "no feedback". */
  readonly reason: string;
}

export interface LinkProbeOptions {
  /** The rate the probe sends at (everything on the connection), bit/s. */
  targetBps: number;
  /** What the link must carry for the probe to pass (the rung's need; the target is above it), bit/s. */
  neededBps: number;
  startMs: number;
  durationMs: number;
}

/** Loss in the probe's window above this ends it at once; a passing probe lost at most LOSS_OK. */
const LOSS_ABORT = 0.1;
const LOSS_OK = 0.05;
/** Packets reported before the loss rule may end a probe early. */
const MIN_ABORT_PACKETS = 15;
/** Queueing delay (one-way delay above the base) in two feedback batches running that ends the probe: a queue is building. */
const QUEUE_ABORT_MS = 120;
/** A probe passes when the receiver got this share of the need (see verdict). */
const NEED_SLACK = 0.9;
/**
 * Feedback later than this after the probe's end is not waited for, ms (at least; twice the RTT when longer).
 * 500 ms was too short on a starved machine (load 12: most probes of a run ended without feedback).
 */
const FEEDBACK_WAIT_MS = 1000;
/** The reason of a probe whose feedback did not come: it says nothing about the link. */
export const NO_FEEDBACK = "no feedback";

/**
 * The judge of one probe: every packet sent in its window (the media, the audio and the padding that lifts
 * them to the target rate) and the receiver's transport-cc results for them. It fails at once when the
 * feedback shows loss or a growing queue (so a probe into a link that cannot take it stops within about one
 * feedback round trip, before the bottleneck's queue overflows onto the media), and passes only when the
 * receiver got at least the needed rate (it is sent more: the margin absorbs jitter in the arrivals, and a
 * bottleneck below the need spreads the arrivals so that they come in under it). libwebrtc's probe
 * controller judges a cluster alike: the probed rate is the lesser of the send and the receive rate.
 *
 * Pure: time comes in as arguments.
 */
export class LinkProbe {
  private sentBytes = 0;
  private sentPackets = 0;
  private firstSentMs: number | undefined;
  private lastSentMs: number | undefined;
  private readonly reports: DeliveryReport[] = [];
  private aborted: string | undefined;
  /** The last feedback batch showed a queue. */
  private queuedBefore = false;

  constructor(readonly options: LinkProbeOptions) {}

  get endMs(): number {
    return this.options.startMs + this.options.durationMs;
  }

  /** Whether a packet sent now belongs to the probe's window. */
  covers(sentAtMs: number): boolean {
    return sentAtMs >= this.options.startMs && sentAtMs <= this.endMs;
  }

  /** Still sending (padding is due) at `nowMs`. */
  sending(nowMs: number): boolean {
    return this.aborted === undefined && nowMs < this.endMs;
  }

  /** Bytes of padding due now to keep the window's rate at the target. */
  paddingDue(nowMs: number): number {
    if (!this.sending(nowMs)) return 0;
    return Math.max(0, (this.options.targetBps * (nowMs - this.options.startMs)) / 8000 - this.sentBytes);
  }

  /** A packet sent in the window (anything on the connection). */
  noteSent(bytes: number, atMs: number): void {
    this.sentBytes += bytes;
    this.sentPackets++;
    this.firstSentMs ??= atMs;
    this.lastSentMs = atMs;
  }

  /** transport-cc results of packets sent in the window; `baseDelayMs`: the link's one-way delay floor. */
  deliveries(reports: readonly DeliveryReport[], baseDelayMs: number | undefined): void {
    if (reports.length === 0) return;
    this.reports.push(...reports);
    const lost = this.reports.filter((r) => r.arrivedAtMs === undefined).length;
    if (this.reports.length >= MIN_ABORT_PACKETS && lost / this.reports.length > LOSS_ABORT) this.aborted ??= "loss";
    if (baseDelayMs === undefined) return;
    const delays = reports
      .filter((r): r is DeliveryReport & { arrivedAtMs: number } => r.arrivedAtMs !== undefined)
      .map((r) => r.arrivedAtMs - r.sentAtMs - baseDelayMs)
      .sort((a, b) => a - b);
    // Two batches running: a queue at a bottleneck persists, a busy machine's stall passes.
    const queued = delays.length > 0 && delays[Math.floor(delays.length / 2)] > QUEUE_ABORT_MS;
    if (queued && this.queuedBefore) this.aborted ??= "queue";
    this.queuedBefore = queued;
  }

  /** The result once decided (undefined while the probe runs or its feedback is awaited). */
  verdict(nowMs: number, rttMs: number | undefined): ProbeResult | undefined {
    const sentBps = this.rate(this.sentBytes, this.firstSentMs, this.lastSentMs) ?? 0;
    if (this.aborted) return { ok: false, deliveredBps: this.deliveredBps(), sentBps, reason: this.aborted };
    if (nowMs < this.endMs) return undefined;
    const waited = nowMs - this.endMs >= Math.max(FEEDBACK_WAIT_MS, 2 * (rttMs ?? 0));
    if (this.reports.length < this.sentPackets && !waited) return undefined;
    if (this.reports.length < Math.max(5, this.sentPackets / 2))
      return { ok: false, deliveredBps: undefined, sentBps, reason: NO_FEEDBACK };
    const lost = this.reports.filter((r) => r.arrivedAtMs === undefined).length;
    const deliveredBps = this.deliveredBps();
    if (lost / this.reports.length > LOSS_OK) return { ok: false, deliveredBps, sentBps, reason: "loss" };
    // The link carried the need, less NEED_SLACK: a busy receiver (and the test's user-space relay) spreads a
    // 300 ms window's arrivals, and read a free link's 1.9-2.2 Mbit/s as 1.6-1.7 Mbit/s. A bottleneck under
    // the need builds a queue and loses, which end the probe before this (every failed probe in the shaped runs).
    const carried = deliveredBps !== undefined && deliveredBps >= NEED_SLACK * this.options.neededBps;
    return { ok: carried, deliveredBps, sentBps, reason: carried ? "carried" : "short" };
  }

  /** The receiver's rate over the arrivals: the bytes after the first arrival over the time they took. */
  private deliveredBps(): number | undefined {
    const arrived = this.reports
      .filter((r): r is DeliveryReport & { arrivedAtMs: number } => r.arrivedAtMs !== undefined)
      .sort((a, b) => a.arrivedAtMs - b.arrivedAtMs);
    if (arrived.length < 2) return undefined;
    const bytes = arrived.slice(1).reduce((s, r) => s + r.bytes, 0);
    return this.rate(bytes, arrived[0].arrivedAtMs, arrived[arrived.length - 1].arrivedAtMs);
  }

  private rate(bytes: number, fromMs: number | undefined, toMs: number | undefined): number | undefined {
    if (fromMs === undefined || toMs === undefined) return undefined;
    // A span shorter than a tenth of the window says nothing about a rate.
    const span = Math.max(toMs - fromMs, this.options.durationMs / 10);
    return (bytes * 8 * 1000) / span;
  }
}
