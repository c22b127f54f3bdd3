/** What a churn run does: which rooms, how many people at once, how long they stay, when to stop. */

export type ChurnMode = "mcu" | "sfu";

export interface ChurnRoom {
  readonly name: string;
  readonly mode: ChurnMode;
  /** Most participants of this room alive at once: each slot is one participant coming and going. */
  readonly slots: number;
}

/** One recording of `room` started and stopped through the control API, repeated every `everyMs` if set. */
export interface RecordingPlan {
  readonly room: string;
  readonly startAfterMs: number;
  readonly forMs: number;
  readonly everyMs?: number;
}

export interface ChurnPlan {
  readonly url: string;
  readonly token: string;
  readonly rooms: readonly ChurnRoom[];
  /** Most participants alive at once over all rooms (the machine's CPU, not the server's limits). */
  readonly maxAlive: number;
  /** No new cycle starts once this many have started, or once `durationMs` has passed, whichever is first. */
  readonly cycles?: number;
  readonly durationMs?: number;
  /** How long a media participant stays after connecting: uniform in [min, max]. */
  readonly stayMs: readonly [number, number];
  /** A participant that stayed at least this long after connecting must have received media. */
  readonly mediaCheckMs: number;
  readonly recording?: RecordingPlan;
  readonly seed: number;
  /** Only these kinds of cycle (all kinds when absent): the warm-up wants plain senders. */
  readonly kinds?: readonly CycleKind[];
  /** Decode received video with ffmpeg (proves it decodes; costs a small ffmpeg per client). */
  readonly decodeVideo: boolean;
  /** Progress lines (a failed cycle, a recording); silent when absent. */
  readonly log?: (line: string) => void;
}

/** How a media participant goes. */
export type LeaveKind = "leave" | "close" | "drop" | "kick";
/** What one cycle is: a media participant, or a signaling-only one that never gets media flowing. */
export type CycleKind = "sender" | "viewer" | "rejected-offer" | "abandoned-offer";

export const leaveWeights: Readonly<Record<LeaveKind, number>> = { leave: 35, close: 25, drop: 25, kick: 15 };

export function cycleWeights(mode: ChurnMode, kinds?: readonly CycleKind[]): Readonly<Record<CycleKind, number>> {
  // Viewers only matter where there is a mix to watch; an SFU viewer is the same renegotiation as a sender.
  const all: Record<CycleKind, number> = {
    sender: mode === "mcu" ? 68 : 78,
    viewer: mode === "mcu" ? 10 : 0,
    "rejected-offer": 12,
    "abandoned-offer": 10,
  };
  if (kinds) for (const kind of Object.keys(all) as CycleKind[]) if (!kinds.includes(kind)) all[kind] = 0;
  return all;
}

/**
 * `mcuRooms` MCU rooms with 3, 2, 1, 3, ... slots (so some rooms empty and reopen between almost every
 * cycle, others stay busy), plus one SFU room of 2 when `sfu`.
 */
export function defaultRooms(mcuRooms: number, sfu: boolean): ChurnRoom[] {
  const rooms: ChurnRoom[] = [];
  for (let i = 0; i < mcuRooms; i++) rooms.push({ name: `soak-mcu-${i + 1}`, mode: "mcu", slots: 3 - (i % 3) });
  if (sfu) rooms.push({ name: "soak-sfu", mode: "sfu", slots: 2 });
  return rooms;
}
