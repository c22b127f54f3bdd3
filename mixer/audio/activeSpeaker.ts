import { SILENCE_DBOV } from "./audioLevel.js";

export interface ActiveSpeakerOptions {
  /** A speaker keeps the floor at least this long before someone else can take it. */
  readonly holdMs: number;
  /** A challenger must be the loudest, above the threshold, this long without a break (a cough is not speech). */
  readonly takeoverMs: number;
  /** Smoothed levels at or below this (dBov) never win: silence, room noise, a distant TV. */
  readonly thresholdDbov: number;
  /** How fast a smoothed level falls back after speech stops; it rises at once. Bridges gaps between words. */
  readonly decayMs: number;
}

export const DEFAULT_ACTIVE_SPEAKER: ActiveSpeakerOptions = { holdMs: 2000, takeoverMs: 300, thresholdDbov: -50, decayMs: 400 };

interface Voice {
  smoothed: number;
  lastAt: number | undefined;
}

/**
 * Who is speaking, from per-input levels observed every audio tick. The rules: nobody wins below the
 * threshold; a challenger must stay the loudest for `takeoverMs`, and the current speaker keeps the floor
 * for at least `holdMs` after taking it, so two people talking over each other do not make the picture
 * flap. Silence does not clear the speaker (the speaker layout keeps showing whoever spoke last); leaving does.
 */
export class ActiveSpeakerDetector {
  private readonly voices = new Map<string, Voice>();
  private current: string | undefined;
  private currentSince = 0;
  private challenger: string | undefined;
  private challengerSince = 0;

  constructor(private readonly options: ActiveSpeakerOptions = DEFAULT_ACTIVE_SPEAKER) {}

  get speaker(): string | undefined {
    return this.current;
  }

  /** One input's level (dBov, SILENCE_DBOV for nothing) at `now` (ms). */
  observe(id: string, dbov: number, now: number): void {
    let voice = this.voices.get(id);
    if (!voice) {
      voice = { smoothed: SILENCE_DBOV, lastAt: undefined };
      this.voices.set(id, voice);
    }
    if (dbov >= voice.smoothed || voice.lastAt === undefined) {
      voice.smoothed = dbov;
    } else {
      // Exponential fall in dB, scaled by the real time since the last observation so skipped ticks don't slow it.
      const k = Math.min(1, (now - voice.lastAt) / this.options.decayMs);
      voice.smoothed += (dbov - voice.smoothed) * k;
    }
    voice.lastAt = now;
  }

  /** Forget an input (it left). Returns true if that changed the speaker. */
  remove(id: string): boolean {
    this.voices.delete(id);
    if (this.challenger === id) this.challenger = undefined;
    if (this.current !== id) return false;
    this.current = undefined;
    return true;
  }

  /** Applies the rules to the levels observed so far. Returns true if the speaker changed. */
  decide(now: number): boolean {
    let loudest: string | undefined;
    let loudestLevel = this.options.thresholdDbov;
    for (const [id, voice] of this.voices) {
      if (voice.smoothed > loudestLevel) {
        loudest = id;
        loudestLevel = voice.smoothed;
      }
    }
    if (loudest === undefined || loudest === this.current) {
      this.challenger = undefined;
      return false;
    }
    if (this.challenger !== loudest) {
      this.challenger = loudest;
      this.challengerSince = now;
    }
    const heldLongEnough = this.current === undefined || now - this.currentSince >= this.options.holdMs;
    if (!heldLongEnough || now - this.challengerSince < this.options.takeoverMs) return false;
    this.current = loudest;
    this.currentSince = now;
    this.challenger = undefined;
    return true;
  }
}
