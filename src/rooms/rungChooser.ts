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
export type RungChoice = { readonly shape: MixShape; readonly paused: false; readonly index: number; readonly rung: Rung } | { readonly shape: MixShape; readonly paused: true };

export interface RungPolicy {
  /** The share of the link estimate the video may take: the audio, headers and retransmissions need the rest. */
  readonly videoShare: number;
  /** How long the estimate must afford the next rung up before the receiver moves up. */
  readonly upAfterMs: number;
  /** How long the estimate must afford the lowest rung before paused video resumes. */
  readonly resumeAfterMs: number;
  /** Paused this long, the receiver tries the lowest rung anyway (an estimate may not grow while nothing is sent). */
  readonly probeAfterMs: number;
  /** A rung counts as fitting the display up to this factor past its device pixels (a box a few pixels short of 720p keeps 720p). */
  readonly displaySlack: number;
}

export const DEFAULT_RUNG_POLICY: RungPolicy = { videoShare: 0.85, upAfterMs: 10_000, resumeAfterMs: 3_000, probeAfterMs: 15_000, displaySlack: 1.15 };

/**
 * Which rung of the ladder one receiver gets, from its link estimates and its display, with hysteresis:
 * down at once (to the largest rung the estimate affords, or paused below the lowest), up one rung after
 * the estimate has afforded it for `upAfterMs`, never above the largest rung the display can show (and up
 * to it at once when the display was the limit and grows, as a phone turned on its side does). Pure:
 * time comes in with each call, so it is tested with tables and no clock.
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
      this.moveTo(i > lowest ? undefined : i, now);
      return this.choice;
    }
    const up = this.index - 1;
    if (up < cap || !this.affords(up)) {
      this.headroomSince = undefined;
      return this.choice;
    }
    this.headroomSince ??= now;
    if (now - this.headroomSince >= this.policy.upAfterMs) this.moveTo(up, now);
    return this.choice;
  }

  private moveTo(index: number | undefined, now: number): void {
    if (index === this.index) return;
    this.index = index;
    this.headroomSince = undefined;
    this.pausedAt = index === undefined ? now : undefined;
  }
}
