import type { MixShape, RenditionLadder, Rung } from "../../mixer/video/renditionLadder.js";

/** What a receiver's page reports of the box the mix is shown in (the `display` message). */
export interface DisplayBox {
  /** CSS pixels. */
  readonly width: number;
  readonly height: number;
  readonly pixelRatio: number;
  /** The composition's shape the page lays out for (upright on a phone held so). */
  readonly orientation: MixShape;
}

/** A receiver's rung: the shape and the rung's index in that shape's ladder (0 is the largest); paused: none. */
export type RungChoice =
  | { readonly shape: MixShape; readonly paused: false; readonly index: number; readonly rung: Rung }
  | { readonly shape: MixShape; readonly paused: true };

export interface RungPolicy {
  /** The share of the link estimate the video may take: the audio, headers and retransmissions need the rest. */
  readonly videoShare: number;
  /** Without probes (a receiver that sends no transport-cc): how long the estimate must afford the next rung up before the receiver moves up. */
  readonly upAfterMs: number;
  /** With probes: how long after a failed probe the link is probed again for the next rung up. */
  readonly probeRetryMs: number;
  /**
   * With probes: how long after a move down the link is first probed for the next rung up. Longer than a
   * retry: the queue and the losses that made the move drain first, and a probe into them froze the picture
   * for 0.55-0.85 s where later probes into the same link did not (test/e2e/weakLink.test.ts). The issue's
   * "up after about 10 s of headroom".
   */
  readonly probeAfterDownMs: number;
  /** With probes: how long after a move up the link is probed for the next one (the move's keyframe crosses first). */
  readonly probeHoldMs: number;
  /**
   * A probe sends this much more than the rung needs, and passes when the receiver got the need: room for a
   * busy machine's jitter in a 300 ms window on a free link, and a clear failure through a bottleneck's burst
   * on a link just short of the need (LinkProbe's table).
   */
  readonly probeMargin: number;
  /** How long the estimate may stay below the lowest rung before the video pauses (issue 20: down within 2 s). */
  readonly pauseAfterMs: number;
  /** How long the estimate must afford the lowest rung before paused video resumes. */
  readonly resumeAfterMs: number;
  /** Paused this long, the receiver tries the lowest rung anyway (an estimate may not grow while nothing is sent). */
  readonly probeAfterMs: number;
  /** A rung counts as fitting the display up to this factor past its device pixels (a box a few pixels short of 720p keeps 720p). */
  readonly displaySlack: number;
}

export const DEFAULT_RUNG_POLICY: RungPolicy = {
  videoShare: 0.85,
  upAfterMs: 10_000,
  probeRetryMs: 5_000,
  probeAfterDownMs: 10_000,
  probeHoldMs: 2_000,
  probeMargin: 1.3,
  pauseAfterMs: 2_000,
  resumeAfterMs: 3_000,
  probeAfterMs: 15_000,
  displaySlack: 1.15,
};

/** A probe of the link the chooser wants before moving up: the rate to send and the rate the link must carry, bit/s. */
export interface ProbeRequest {
  readonly targetBps: number;
  readonly neededBps: number;
}

/**
 * How a probe ended: the link carried the next rung, did not, said nothing (its feedback did not come in time,
 * as on a starved machine), or no probe could run (no transport-cc).
 */
export type ProbeOutcome = "passed" | "failed" | "inconclusive" | "unavailable";

/**
 * Which rung of the ladder one receiver gets, from its link estimates and its display, with hysteresis:
 * down at once (to the largest rung the estimate affords, or paused below the lowest), up one rung only
 * after a probe of the link passed at that rung's rate (`probeWanted`, `probeDone`: a probe `probeAfterDownMs`
 * after a move down, `probeRetryMs` after a failed probe, `probeHoldMs` after a move up), never above the largest rung the
 * display can show (and up to it at once when the display was the limit and grows, as a phone turned on its
 * side does). An estimate alone never moves a receiver up: on a rung that does not fill the link the
 * estimate grows with nothing to check it against, and a move up on it froze receivers for seconds inside a
 * 400 kbit/s link (docs/performance.md). Where no probe can run (no transport-cc), the estimate must afford
 * the next rung for `upAfterMs`. Pure: time comes in with each call, so it is tested with tables and no clock.
 */
export class RungChooser {
  private shape: MixShape = "landscape";
  private display: DisplayBox | undefined;
  /** Index into the shape's ladder, or undefined while paused. */
  private index: number | undefined;
  private estimateBps: number | undefined;
  /** Since when the estimate has afforded the next step up (or, paused, the lowest rung). */
  private headroomSince: number | undefined;
  private pausedAt: number | undefined;
  /** The rung is below what the link affords because the display was smaller: a larger display lifts it at once. */
  private displayLimited = true;
  /**
   * When the rung last changed or a probe ended, and how long the next probe waits: probeHoldMs after a move
   * up or a probe whose feedback did not come (it said nothing of the link), probeAfterDownMs after a move
   * down, probeRetryMs after a failed probe.
   */
  private settledAt = 0;
  private wait: "hold" | "afterDown" | "retry" = "retry";
  /** The probe running: for which rung of which shape, from which. */
  private probing: { shape: MixShape; from: number | undefined; to: number } | undefined;
  /** Since when the estimate has not afforded the lowest rung (the receiver still on it), and whether a probe checked it. */
  private belowLowestSince: number | undefined;
  private floorProbed = false;
  /** No probe can run for this receiver: moves up follow the estimate's headroom. */
  private unprobed = false;

  constructor(
    private readonly ladder: RenditionLadder,
    private readonly policy: RungPolicy = DEFAULT_RUNG_POLICY,
  ) {
    this.index = 0;
  }

  get choice(): RungChoice {
    if (this.index === undefined) return { shape: this.shape, paused: true };
    return { shape: this.shape, paused: false, index: this.index, rung: this.rungs[this.index] };
  }

  /** The page's display changed (size, pixel ratio, rotation). */
  setDisplay(display: DisplayBox, now: number): RungChoice {
    this.display = display;
    this.shape = display.orientation;
    if (this.index !== undefined) this.index = Math.max(this.index, this.cap());
    return this.step(now);
  }

  /** A fresh link estimate (available bits a second). */
  setEstimate(availableBps: number, now: number): RungChoice {
    this.estimateBps = availableBps;
    return this.step(now);
  }

  /** The probe due now before the next move up, if any; the caller runs it and answers with probeDone. */
  probeWanted(now: number): ProbeRequest | undefined {
    if (this.unprobed || this.probing) return undefined;
    if (this.index === undefined) {
      // Paused: only the audio flows, which carries no transport-cc, so the estimate cannot grow by itself;
      // a probe at the lowest rung's rate shows whether the video can come back.
      if (now - this.settledAt < this.policy.resumeAfterMs) return undefined;
      return this.request(this.rungs.length - 1, now);
    }
    if (this.belowLowestSince !== undefined && !this.floorProbed) {
      this.floorProbed = true;
      return this.request(this.index, now);
    }
    const up = this.index - 1;
    if (up < this.cap()) return undefined;
    if (now - this.settledAt < this.waitMs()) return undefined;
    return this.request(up, now);
  }

  private request(to: number, now: number): ProbeRequest {
    const neededBps = Math.round(this.rungs[to].bitrate / this.policy.videoShare);
    this.probing = { shape: this.shape, from: this.index, to };
    this.settledAt = now;
    return { targetBps: Math.round(neededBps * this.policy.probeMargin), neededBps };
  }

  /** The probe probeWanted asked for ended; `deliveredBps`: what the link carried meanwhile (the estimate is at least that now). */
  probeDone(outcome: ProbeOutcome, deliveredBps: number | undefined, now: number): RungChoice {
    const probe = this.probing;
    this.probing = undefined;
    if (outcome === "unavailable") this.unprobed = true;
    if (outcome === "passed" && deliveredBps !== undefined) this.estimateBps = Math.max(this.estimateBps ?? 0, deliveredBps);
    // Moved meanwhile (down, a new display): the probe was for another rung.
    if (!probe || probe.shape !== this.shape || probe.from !== this.index) return this.step(now);
    if (outcome === "passed" && (probe.to >= this.cap() || this.index === undefined)) {
      this.moveTo(Math.max(probe.to, this.cap()), now);
    } else if (outcome === "failed" || outcome === "inconclusive") {
      this.settledAt = now;
      this.wait = outcome === "inconclusive" ? "hold" : "retry";
    }
    return this.step(now);
  }

  private waitMs(): number {
    const { probeHoldMs, probeAfterDownMs, probeRetryMs } = this.policy;
    return this.wait === "hold" ? probeHoldMs : this.wait === "afterDown" ? probeAfterDownMs : probeRetryMs;
  }

  private get rungs(): readonly Rung[] {
    return this.ladder[this.shape];
  }

  /** The largest rung's index the display can show (the lowest rung if none fits). */
  private cap(): number {
    const d = this.display;
    if (!d) return 0;
    const slack = this.policy.displaySlack;
    const w = d.width * d.pixelRatio * slack;
    const h = d.height * d.pixelRatio * slack;
    const i = this.rungs.findIndex((r) => r.width <= w && r.height <= h);
    return i === -1 ? this.rungs.length - 1 : i;
  }

  private affords(i: number): boolean {
    return this.estimateBps === undefined || this.rungs[i].bitrate <= this.estimateBps * this.policy.videoShare;
  }

  private step(now: number): RungChoice {
    const lowest = this.rungs.length - 1;
    const cap = this.cap();
    if (this.index === undefined) {
      this.pausedAt ??= now;
      if (!this.affords(lowest)) this.headroomSince = undefined;
      else this.headroomSince ??= now;
      const resumed = this.headroomSince !== undefined && now - this.headroomSince >= this.policy.resumeAfterMs;
      if (resumed || now - this.pausedAt >= this.policy.probeAfterMs) this.moveTo(Math.max(lowest, cap), now);
      return this.choice;
    }
    if (this.index < cap) {
      this.moveTo(cap, now);
      this.displayLimited = true;
    } else if (this.index > cap && this.displayLimited) {
      // The display grew (a rotation, a larger window): as far up as it allows and the link affords, now.
      let i = cap;
      while (i < this.index && !this.affords(i)) i++;
      this.moveTo(i, now);
    }
    if (!this.affords(this.index)) {
      this.displayLimited = false;
      // Down at once, as far as needed.
      let i = this.index;
      while (i <= lowest && !this.affords(i)) i++;
      if (i <= lowest) {
        this.belowLowestSince = undefined;
        this.moveTo(i, now);
        return this.choice;
      }
      // Below the lowest rung: on it at once, paused only when the estimate stays below it for pauseAfterMs.
      // On the lowest rung the stream rarely fills the link, and one burst of loss cuts the estimate to 85 % of
      // what that small stream delivered: under its own need (measured: paused for 4 s inside a 400 kbit/s
      // link). Meanwhile a probe at its rate (probeWanted) shows whether the link still carries it.
      this.belowLowestSince ??= now;
      this.moveTo(now - this.belowLowestSince >= this.policy.pauseAfterMs ? undefined : lowest, now);
      return this.choice;
    }
    this.belowLowestSince = undefined;
    this.floorProbed = false;
    const up = this.index - 1;
    if (up < cap || !this.affords(up)) {
      this.headroomSince = undefined;
      return this.choice;
    }
    this.headroomSince ??= now;
    // With probes, probeDone moves up; the headroom counts from before a probe first turned out unavailable.
    if (this.unprobed && now - this.headroomSince >= this.policy.upAfterMs) this.moveTo(up, now);
    return this.choice;
  }

  private moveTo(index: number | undefined, now: number): void {
    if (index === this.index) return;
    // Resumed: the lowest rung gets its pauseAfterMs again.
    if (this.index === undefined) this.belowLowestSince = undefined;
    const up = index !== undefined && (this.index === undefined || index < this.index);
    this.wait = up ? "hold" : "afterDown";
    this.settledAt = now;
    this.index = index;
    this.headroomSince = undefined;
    this.pausedAt = index === undefined ? now : undefined;
  }
}
