import { SILENCE_DBOV } from "./audioLevel.js";

export interface TalkerSelectionOptions {
  /** At most this many inputs are mixed at once: the loudest talkers. Everyone else is heard by nobody. */
  readonly maxTalkers: number;
  /** A level above this (dBov) is someone talking; at or below it is silence or room noise. */
  readonly thresholdDbov: number;
  /**
   * An input stays talking this long after its last level above the threshold: the pauses between words
   * and the quiet end of a word are still speech, and they keep the input decoded and in the mix.
   */
  readonly hangoverMs: number;
  /**
   * With every place taken, a talker must be this much louder (dB, smoothed) than the quietest talker in the
   * mix to take that place: two similar voices do not swap places from tick to tick.
   */
  readonly switchMarginDb: number;
  /** How fast a talker's rank falls when they speak more quietly (it rises at once): ranks by their speech, not by one syllable. */
  readonly decayMs: number;
}

export const DEFAULT_TALKER_SELECTION: TalkerSelectionOptions = {
  maxTalkers: 3,
  thresholdDbov: -50,
  hangoverMs: 500,
  switchMarginDb: 6,
  decayMs: 400,
};

/**
 * Whether one input is talking, from the levels heard from it: the sender's own (RFC 6464, per packet, as
 * packets arrive) or the mixer's measurement (per tick). It starts talking with the first level above the
 * threshold, so a talker is let in at once, and stops a hangover after the last one.
 */
export class TalkDetector {
  private lastLoudAt = -Infinity;

  constructor(private readonly options: Pick<TalkerSelectionOptions, "thresholdDbov" | "hangoverMs"> = DEFAULT_TALKER_SELECTION) {}

  heard(dbov: number, now: number): void {
    if (dbov > this.options.thresholdDbov && now > this.lastLoudAt) this.lastLoudAt = now;
  }

  talking(now: number): boolean {
    return now - this.lastLoudAt < this.options.hangoverMs;
  }
}

interface Ranked {
  smoothed: number;
  at: number | undefined;
}

/**
 * Which inputs are mixed, tick by tick: at most `maxTalkers` of those talking, the loudest, as audio
 * conference bridges do (Asterisk ConfBridge, FreeSWITCH conference). A talker in the mix keeps its place
 * while it talks unless a clearly louder one comes; a free place is taken on the first tick someone talks.
 */
export class TalkerSelector {
  private readonly ranks = new Map<string, Ranked>();
  private mixed = new Set<string>();

  constructor(private readonly options: TalkerSelectionOptions = DEFAULT_TALKER_SELECTION) {}

  /** The inputs mixed since the last select(). */
  get current(): ReadonlySet<string> {
    return this.mixed;
  }

  /**
   * One input's level this tick (dBov; SILENCE_DBOV for nothing). Only speech ranks a talker: a pause
   * between words (silence, within the hangover) leaves its rank as it was, so a talker waiting for a place
   * does not take it in every pause; speaking more quietly lowers it, and a hangover of silence clears it.
   */
  observe(id: string, dbov: number, now: number): void {
    let rank = this.ranks.get(id);
    if (!rank) this.ranks.set(id, (rank = { smoothed: SILENCE_DBOV, at: undefined }));
    if (dbov <= this.options.thresholdDbov) {
      if (rank.at !== undefined && now - rank.at >= this.options.hangoverMs) rank.smoothed = SILENCE_DBOV;
      return;
    }
    const fresh = rank.at === undefined || now - rank.at >= this.options.hangoverMs;
    if (fresh || dbov >= rank.smoothed) rank.smoothed = dbov;
    else rank.smoothed += (dbov - rank.smoothed) * Math.min(1, (now - rank.at!) / this.options.decayMs);
    rank.at = now;
  }

  remove(id: string): void {
    this.ranks.delete(id);
    this.mixed.delete(id);
  }

  /** `talking`: the inputs talking this tick. Returns the inputs to mix (a new set each time it changes). */
  select(talking: readonly string[]): ReadonlySet<string> {
    const level = (id: string) => this.ranks.get(id)?.smoothed ?? SILENCE_DBOV;
    const keep = talking.filter((id) => this.mixed.has(id));
    const challengers = talking.filter((id) => !this.mixed.has(id)).sort((a, b) => level(b) - level(a));
    for (const challenger of challengers) {
      if (keep.length < this.options.maxTalkers) {
        keep.push(challenger);
        continue;
      }
      let quietest = 0;
      for (let i = 1; i < keep.length; i++) if (level(keep[i]) < level(keep[quietest])) quietest = i;
      // Challengers come loudest first: once one cannot take a place, none after it can.
      if (level(challenger) <= level(keep[quietest]) + this.options.switchMarginDb) break;
      keep[quietest] = challenger;
    }
    if (keep.length !== this.mixed.size || keep.some((id) => !this.mixed.has(id))) this.mixed = new Set(keep);
    return this.mixed;
  }
}
