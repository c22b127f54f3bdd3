import type { CycleKind, LeaveKind } from "./plan.js";

/** What a churn run did and what went wrong, for the test's assertions and the runner's summary. */
export interface ChurnReport {
  readonly cycles: number;
  readonly byKind: Record<CycleKind, number>;
  readonly leaves: Record<LeaveKind, number>;
  readonly mutes: number;
  /** Media participants that stayed long enough to be checked for media, and what they received. */
  readonly mediaChecked: number;
  /** Frames of the mix that arrived (MCU; SFU forwards are counted as decoded frames only). */
  readonly videoFrames: number;
  readonly decodedFrames: number;
  readonly audioPackets: number;
  readonly recordingsStarted: number;
  /** Recordings stopped through the API; the others ended because their room closed first. */
  readonly recordingsStopped: number;
  readonly recordingsEndedWithRoom: number;
  readonly peakAlive: number;
  /**
   * Connection set-ups the server failed cleanly (`ice-failed`, participant removed) that a second
   * attempt got past: werift's DTLS client on the server gives up when a werift peer answers a resent
   * ClientHello with a second HelloVerifyRequest, which happens when the machine is busy.
   */
  readonly setupRetries: readonly string[];
  /** One line per thing that went wrong (a refused join, missing media, an unanswered leave...). */
  readonly failures: readonly string[];
}

export class ReportBuilder {
  cycles = 0;
  readonly byKind: Record<CycleKind, number> = { sender: 0, viewer: 0, "rejected-offer": 0, "abandoned-offer": 0 };
  readonly leaves: Record<LeaveKind, number> = { leave: 0, close: 0, drop: 0, kick: 0 };
  mutes = 0;
  mediaChecked = 0;
  videoFrames = 0;
  decodedFrames = 0;
  audioPackets = 0;
  recordingsStarted = 0;
  recordingsStopped = 0;
  recordingsEndedWithRoom = 0;
  peakAlive = 0;
  readonly setupRetries: string[] = [];
  readonly failures: string[] = [];

  constructor(private readonly log?: (line: string) => void) {}

  fail(line: string): void {
    this.failures.push(line);
    this.log?.(`FAIL ${line}`);
  }

  build(): ChurnReport {
    const {
      cycles,
      mutes,
      mediaChecked,
      videoFrames,
      decodedFrames,
      audioPackets,
      recordingsStarted,
      recordingsStopped,
      recordingsEndedWithRoom,
      peakAlive,
    } = this;
    return {
      cycles,
      mutes,
      mediaChecked,
      videoFrames,
      decodedFrames,
      audioPackets,
      recordingsStarted,
      recordingsStopped,
      recordingsEndedWithRoom,
      peakAlive,
      byKind: { ...this.byKind },
      leaves: { ...this.leaves },
      setupRetries: [...this.setupRetries],
      failures: [...this.failures],
    };
  }
}

export function describeReport(r: ChurnReport): string {
  const kinds = Object.entries(r.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  const leaves = Object.entries(r.leaves)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return [
    `${r.cycles} cycles (${kinds}); media participants left by ${leaves}; ${r.mutes} mutes; at most ${r.peakAlive} alive at once`,
    `${r.mediaChecked} checked for media: ${r.videoFrames} mixed video frames received in MCU rooms, ${r.decodedFrames} video frames decoded (mix and SFU forwards), ${r.audioPackets} audio packets`,
    `recordings: ${r.recordingsStarted} started, ${r.recordingsStopped} stopped through the API, ${r.recordingsEndedWithRoom} ended with their room`,
    `${r.setupRetries.length} connection set-ups retried after the server's ice-failed${r.setupRetries.length ? ":\n  " + r.setupRetries.slice(0, 10).join("\n  ") : ""}`,
    `${r.failures.length} failures${r.failures.length ? ":\n  " + r.failures.slice(0, 30).join("\n  ") : ""}`,
  ].join("\n");
}
