/**
 * A sender's mutes as the mixer reads them: the room's own record of them (its member), read where they
 * matter (each picture drawn, each packet heard) and never copied, so the roster and the mix cannot disagree.
 */
export interface MuteState {
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
}

/** What nobody mutes: a shared screen, or an input a test or a bench feeds. */
export const NEVER_MUTED: MuteState = Object.freeze({ audioMuted: false, videoMuted: false });
