import type { HeapStats } from "./heapStats.js";
import type { ProcessSample } from "./procProbe.js";

/** One minute of the server under churn: RSS averaged over the minute's samples (it swings with who is connected). */
export interface MinuteRow {
  readonly minute: number;
  readonly cycles: number;
  readonly alive: number;
  readonly meanRssBytes: number;
  readonly maxRssBytes: number;
  readonly last: ProcessSample;
  readonly failures: number;
  /** At the minute's end, when /metrics answered. */
  readonly heap?: HeapStats;
}

const MiB = 2 ** 20;

export const minuteHeader =
  " min | cycles | alive | RSS mean MiB | RSS max MiB | heap MiB | external MiB | fds | UDP | ffmpeg | children | failures";

export function minuteLine(r: MinuteRow): string {
  const cells = [
    String(r.minute).padStart(4),
    String(r.cycles).padStart(6),
    String(r.alive).padStart(5),
    (r.meanRssBytes / MiB).toFixed(1).padStart(12),
    (r.maxRssBytes / MiB).toFixed(1).padStart(11),
    (r.heap ? (r.heap.heapUsedBytes / MiB).toFixed(1) : "-").padStart(8),
    (r.heap ? (r.heap.externalBytes / MiB).toFixed(1) : "-").padStart(12),
    String(r.last.fds).padStart(3),
    String(r.last.udpSockets).padStart(3),
    String(r.last.ffmpegChildren.length).padStart(6),
    String(r.last.children).padStart(8),
    String(r.failures).padStart(8),
  ];
  return ` ${cells.join(" | ")}`;
}

/** Collects samples into minutes. */
export class MinuteAccumulator {
  private samples: ProcessSample[] = [];

  add(sample: ProcessSample): void {
    this.samples.push(sample);
  }

  /** Closes the current minute; undefined when it had no samples (the server was gone). */
  close(minute: number, progress: { cycles: number; alive: number; failures: number }, heap?: HeapStats): MinuteRow | undefined {
    const samples = this.samples;
    this.samples = [];
    if (!samples.length) return undefined;
    return {
      minute,
      ...progress,
      ...(heap ? { heap } : {}),
      meanRssBytes: samples.reduce((sum, s) => sum + s.rssBytes, 0) / samples.length,
      maxRssBytes: Math.max(...samples.map((s) => s.rssBytes)),
      last: samples[samples.length - 1],
    };
  }
}

export function percentGrowth(from: number, to: number): string {
  const pct = ((to - from) / from) * 100;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(1)} %`;
}
