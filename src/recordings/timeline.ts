import { closeSync, openSync, writeSync } from "node:fs";
import { z } from "zod";
import type { Role } from "../../protocol/messages.js";

/** What happened in the room, as a recording's timeline notes it. */
export type TimelineEvent =
  | { kind: "join"; participant: { id: string; name: string; role: Role } }
  | { kind: "leave"; participant: { id: string; name: string }; reason: string }
  | { kind: "mute"; participant: string; audio?: boolean; video?: boolean }
  /** Their connection dropped; their tile stays (a name card) while the server holds their place. */
  | { kind: "disconnect"; participant: { id: string; name: string }; reason: string }
  /** Back as the same participant, `afterMs` after the disconnect. */
  | { kind: "reconnect"; participant: { id: string; name: string }; afterMs: number }
  | { kind: "speaker"; participant: string | null }
  /** `participant` shares a screen from here (the mix in the presentation layout); null: the share ended, `reason` why. */
  | { kind: "screen"; participant: string | null; reason?: string }
  /** A participant's own voice file begins here (its time 0 is this line's `t`). */
  | { kind: "voice"; participant: { id: string; name: string }; file: string };

export interface TimelineStart {
  kind: "start";
  recording: string;
  room: string;
  output: { width: number; height: number; fps: number };
  participants: readonly { id: string; name: string; role: Role; audioMuted: boolean; videoMuted: boolean }[];
  /** The recording this one continues (its room's media worker died); see RecordingInfo.continues. */
  continues?: string;
}

export interface TimelineStop {
  kind: "stop";
  reason: string;
  durationMs: number;
  bytes: number;
}

/** Every line: the event plus `t` (ms from the recording's time 0) and `at` (wall clock, ISO 8601). */
export type TimelineBody = TimelineStart | TimelineEvent | TimelineStop;
export type TimelineLine = TimelineBody & { t: number; at: string };

/**
 * A recording's timeline as JSON lines, one write per event, so a crash loses at most the line being
 * written. Write errors are reported, never thrown: the timeline must not take the room down.
 */
export class TimelineWriter {
  private fd: number | undefined;

  constructor(
    path: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.fd = openSync(path, "wx");
  }

  write(line: TimelineLine): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
    } catch (err) {
      this.close();
      this.onError(err as Error);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

const startLine = z.object({ kind: z.literal("start"), room: z.string(), at: z.string(), continues: z.string().optional() });
const stopLine = z.object({ kind: z.literal("stop"), at: z.string(), durationMs: z.number() });

/** The start and stop lines of a timeline file; a line cut short by a crash is skipped. */
export function parseTimeline(text: string): { start?: z.infer<typeof startLine>; stop?: z.infer<typeof stopLine>; lines: unknown[] } {
  const lines: unknown[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    try {
      lines.push(JSON.parse(raw));
    } catch {
      // the last line of a timeline whose process was killed mid-write
    }
  }
  const start = lines.map((l) => startLine.safeParse(l)).find((r) => r.success)?.data;
  const stop = lines.map((l) => stopLine.safeParse(l)).find((r) => r.success)?.data;
  return { start, stop, lines };
}
