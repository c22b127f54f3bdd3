import type { LinkEstimate } from "./linkEstimate.js";

/** One packet's fate as the receiver's transport-cc feedback (or our own bookkeeping) tells it. */
export interface DeliveryReport {
  /** Bytes of the packet as sent (RTP header and payload). */
  bytes: number;
  /** When we sent it (our clock, ms). */
  sentAtMs: number;
  /** When it arrived (the receiver's clock, ms); undefined: reported lost. */
  arrivedAtMs: number | undefined;
}

export interface LinkEstimatorOptions {
  /** The estimate before any feedback, bit/s: the mix's top rate, so nothing is held back on a good link. */
  initialBps: number;
  /** Never below this (a floor keeps one audio stream and some video possible), bit/s. */
  minBps: number;
  /** Never above this (what the best rendition could use, with headroom), bit/s. */
  maxBps: number;
  /** Multiplicative increase per second while the link shows no congestion (GCC uses 0.08; see decisions.md). */
  increasePerSecond?: number;
  /** Queueing delay above the base one-way delay that counts as congestion, ms (LEDBAT's TARGET is 100). */
  queueDelayTargetMs?: number;
}

/** How often the loss/delay controller acts on accumulated feedback (libwebrtc: about once per RTCP interval). */
const UPDATE_INTERVAL_MS = 200;
/** A decrease waits this long after the last one, so one burst of loss is not counted twice (libwebrtc: 300 ms + RTT). */
const DECREASE_HOLD_MS = 300;
/** GCC: below 2 % loss the link has room; above 10 % it is congested. */
const LOW_LOSS = 0.02;
const HIGH_LOSS = 0.1;
/** GCC's delay-based decrease: to 85 % of what the receiver actually got. */
const BETA = 0.85;
/** The base one-way delay is the minimum over this long (LEDBAT keeps minima per interval). */
const BASE_DELAY_WINDOW_MS = 10_000;
/** Smoothing of the reported loss (exponential, per update). */
const LOSS_ALPHA = 0.3;
/** The delivered and sent rates are measured over this much of the latest reports (by send time), ms. */
const RATE_WINDOW_MS = 1000;
/** Delivered below this share of what was sent over an interval: the link is the limit, not the sender. */
const BOTTLENECK_SHARE = 0.9;
/**
 * The loss rule judges at least this many packets at a time (libwebrtc's kLimitNumPackets): a low-rate stream
 * (a small rung, ~10 packets in 200 ms) with 1 % random loss would otherwise see "12 % loss" in every interval
 * that happens to hold one lost packet, and cut the estimate far below the link.
 */
const MIN_LOSS_PACKETS = 20;
/** REMB or receiver-report figures older than this no longer bind. */
const STALE_MS = 3000;

/**
 * A sender-side estimate of one receiver's link, after Google Congestion Control (draft-ietf-rmcat-gcc-02):
 *
 * - loss-based (GCC section 6): over each ~200 ms of feedback, loss above 10 % multiplies the estimate by
 *   (1 - loss/2), loss below 2 % lets it grow, in between it holds;
 * - delay-based, simplified: instead of GCC's trendline of delay gradients, the queueing delay is the one-way
 *   delay (arrival minus send time, in two clocks) above its minimum over the last 10 s, as LEDBAT
 *   (RFC 6817) measures it; above 100 ms the link is congested and the estimate drops to 85 % of the rate the
 *   receiver actually got over the interval (GCC's decrease rule), when it persists over two updates and
 *   the receiver got less than 90 % of what was sent meanwhile (a queue at a bottleneck; delay that comes with
 *   full delivery is jitter, which a busy machine makes plenty of). A tbf bottleneck shows exactly this: its
 *   queue fills (delay) before it drops (loss);
 * - the receiver's REMB, when it sends one, caps the estimate; without transport-cc, receiver reports'
 *   fraction lost drive the loss rule instead.
 *
 * Pure: time comes in as arguments, so the tests replay feedback tables.
 */
export class LinkEstimator {
  private availableBps: number;
  private lossFraction = 0;
  private rttMs: number | undefined;
  private readonly increasePerSecond: number;
  private readonly queueDelayTargetMs: number;
  /** Reports since the last update. */
  private pending: DeliveryReport[] = [];
  private lastUpdateMs: number | undefined;
  private lastDecreaseMs = -Infinity;
  /** Per-second minima of the one-way delay, for the base delay. */
  private readonly delayMinima: { atMs: number; delayMs: number }[] = [];
  private remb: { bps: number; atMs: number } | undefined;
  private lastTwccMs = -Infinity;
  /** The receiver's rate over the last update, bit/s (undefined when the interval was too short to tell). */
  private deliveredBps: number | undefined;
  private queueDelayMs = 0;
  /** Reports of the last RATE_WINDOW_MS (by send time), for the delivered and sent rates. */
  private window: DeliveryReport[] = [];
  /** Consecutive updates that saw a growing queue at a bottleneck. */
  private overuseRun = 0;
  /** Packets reported (and lost among them) since the loss rule last judged. */
  private lossCount = 0;
  private lossLost = 0;
  /** The loss the rule last judged (unsmoothed): between judgements, the estimate grows only if that was low. */
  private judgedLoss = 0;

  constructor(private readonly options: LinkEstimatorOptions) {
    this.availableBps = options.initialBps;
    this.increasePerSecond = options.increasePerSecond ?? 0.15;
    this.queueDelayTargetMs = options.queueDelayTargetMs ?? 100;
  }

  /** transport-cc results for packets we sent (lost ones with `arrivedAtMs` undefined). */
  deliveries(reports: readonly DeliveryReport[], nowMs: number): void {
    this.lastTwccMs = nowMs;
    for (const r of reports) {
      this.pending.push(r);
      if (r.arrivedAtMs !== undefined) this.noteDelay(r.arrivedAtMs - r.sentAtMs, nowMs);
    }
    this.maybeUpdate(nowMs);
  }

  /** A receiver report: fraction lost (0..1) since the last, and the RTT it lets us compute. */
  receiverReport(fractionLost: number, rttMs: number | undefined, nowMs: number): void {
    if (rttMs !== undefined && Number.isFinite(rttMs) && rttMs >= 0) this.rttMs = rttMs;
    // With transport-cc the per-packet results are finer; receiver reports only drive loss without it.
    if (nowMs - this.lastTwccMs < STALE_MS) return;
    this.applyLoss(Math.min(1, Math.max(0, fractionLost)), undefined, false, nowMs);
  }

  /** The receiver's own estimate (REMB), bit/s. */
  receiverEstimate(bps: number, nowMs: number): void {
    if (Number.isFinite(bps) && bps > 0) this.remb = { bps, atMs: nowMs };
  }

  estimate(nowMs: number): LinkEstimate {
    let bps = this.availableBps;
    if (this.remb && nowMs - this.remb.atMs < STALE_MS) bps = Math.min(bps, this.remb.bps);
    return { availableBps: Math.round(Math.max(this.options.minBps, bps)), lossFraction: this.lossFraction, rttMs: this.rttMs };
  }

  /** For the control API: the queueing delay and the delivered rate behind the last update. */
  get lastQueueDelayMs(): number {
    return this.queueDelayMs;
  }

  get lastDeliveredBps(): number | undefined {
    return this.deliveredBps;
  }

  /** The one-way delay's floor over the last 10 s (two clocks: only differences to it mean anything), ms. */
  get baseDelay(): number | undefined {
    return this.baseDelayMs();
  }

  /**
   * A probe (LinkProbe) showed the link carrying `bps`: the estimate is at least that. As libwebrtc does with a
   * probe's result, it only ever raises the estimate; a failed probe leaves the loss and delay rules to act on
   * what it caused.
   */
  probed(bps: number): void {
    if (Number.isFinite(bps) && bps > 0) this.availableBps = Math.min(this.options.maxBps, Math.max(this.availableBps, bps));
  }

  private noteDelay(delayMs: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000) * 1000;
    const last = this.delayMinima[this.delayMinima.length - 1];
    if (last && last.atMs === second) last.delayMs = Math.min(last.delayMs, delayMs);
    else this.delayMinima.push({ atMs: second, delayMs });
    while (this.delayMinima.length > 0 && nowMs - this.delayMinima[0].atMs > BASE_DELAY_WINDOW_MS) this.delayMinima.shift();
  }

  private baseDelayMs(): number | undefined {
    let min: number | undefined;
    for (const m of this.delayMinima) min = min === undefined ? m.delayMs : Math.min(min, m.delayMs);
    return min;
  }

  private maybeUpdate(nowMs: number): void {
    if (this.lastUpdateMs === undefined) this.lastUpdateMs = nowMs;
    if (nowMs - this.lastUpdateMs < UPDATE_INTERVAL_MS) return;
    const reports = this.pending;
    this.pending = [];
    if (reports.length === 0) return;
    const lost = reports.filter((r) => r.arrivedAtMs === undefined).length;
    const arrived = reports.filter((r): r is DeliveryReport & { arrivedAtMs: number } => r.arrivedAtMs !== undefined);
    // Rates over the last second of reports, not one update's: a 200 ms slice of a bursty stream through a
    // busy relay says little (a keyframe's burst, a stall and its catch-up).
    this.window.push(...reports);
    const newestSent = Math.max(...this.window.map((r) => r.sentAtMs));
    this.window = this.window.filter((r) => newestSent - r.sentAtMs <= RATE_WINDOW_MS);
    const windowArrived = this.window.filter((r): r is DeliveryReport & { arrivedAtMs: number } => r.arrivedAtMs !== undefined);
    let delivered: number | undefined;
    let sent: number | undefined;
    if (windowArrived.length >= 2) {
      const first = Math.min(...windowArrived.map((r) => r.arrivedAtMs));
      const last = Math.max(...windowArrived.map((r) => r.arrivedAtMs));
      const firstSent = Math.min(...this.window.map((r) => r.sentAtMs));
      // Too short a span says nothing about a rate.
      if (last - first >= RATE_WINDOW_MS / 3) delivered = (windowArrived.reduce((s, r) => s + r.bytes, 0) * 8 * 1000) / (last - first);
      if (newestSent - firstSent >= RATE_WINDOW_MS / 3)
        sent = (this.window.reduce((s, r) => s + r.bytes, 0) * 8 * 1000) / (newestSent - firstSent);
    }
    this.deliveredBps = delivered;
    const base = this.baseDelayMs();
    // The queue a packet saw: its own delay above the base; the interval's median resists a single straggler.
    const delays = arrived.map((r) => r.arrivedAtMs - r.sentAtMs).sort((a, b) => a - b);
    this.queueDelayMs = base === undefined || delays.length === 0 ? 0 : Math.max(0, delays[Math.floor(delays.length / 2)] - base);
    // A bottleneck both queues and delivers less than it is given; a delay that comes with full delivery is
    // jitter (a busy receiver or relay), not a queue to drain. Two such intervals running: the queue persists.
    const overusing =
      this.queueDelayMs > this.queueDelayTargetMs && delivered !== undefined && sent !== undefined && delivered < BOTTLENECK_SHARE * sent;
    this.overuseRun = overusing ? this.overuseRun + 1 : 0;
    this.lossLost += lost;
    this.lossCount += reports.length;
    let loss: number | undefined;
    if (this.lossCount >= MIN_LOSS_PACKETS) {
      loss = this.lossLost / this.lossCount;
      this.lossLost = 0;
      this.lossCount = 0;
    }
    this.applyLoss(loss, delivered, this.overuseRun >= 2, nowMs);
  }

  /** `loss` undefined: too few packets yet to judge it (the last judged loss stands). */
  private applyLoss(loss: number | undefined, deliveredBps: number | undefined, delayCongested: boolean, nowMs: number): void {
    const elapsedMs = Math.min(1000, nowMs - (this.lastUpdateMs ?? nowMs));
    this.lastUpdateMs = nowMs;
    if (loss !== undefined) this.judgedLoss = loss;
    if (loss !== undefined)
      this.lossFraction = this.lossFraction === 0 && loss > 0 ? loss : (1 - LOSS_ALPHA) * this.lossFraction + LOSS_ALPHA * loss;
    const { minBps, maxBps } = this.options;
    if ((loss !== undefined && loss > HIGH_LOSS) || delayCongested) {
      if (nowMs - this.lastDecreaseMs < DECREASE_HOLD_MS) return;
      this.lastDecreaseMs = nowMs;
      // What the receiver got while the link was congested is what it carries: GCC's 85 % of it. The mix does
      // not follow the estimate (its rate is a rendition's), so loss persists while it overshoots; applying
      // the loss rule again at each update would drive the estimate to the floor, far below the link.
      let next: number;
      if (deliveredBps !== undefined) next = BETA * deliveredBps;
      else next = loss !== undefined && loss > HIGH_LOSS ? this.availableBps * (1 - loss / 2) : this.availableBps;
      this.availableBps = Math.max(minBps, Math.min(maxBps, next));
      return;
    }
    if (this.judgedLoss < LOW_LOSS) {
      this.availableBps = Math.min(maxBps, this.availableBps * Math.pow(1 + this.increasePerSecond, elapsedMs / 1000));
    }
  }
}
