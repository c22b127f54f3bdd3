import type { ControlApi } from "./controlApi.js";
import { sampleProcess, type ProcessSample } from "./procProbe.js";

const POLL_MS = 250;

export interface Settled {
  readonly ok: boolean;
  readonly sample: ProcessSample;
  /** What was still different when time ran out (empty when ok). */
  readonly waitingFor: string;
}

/**
 * Polls until the server is idle: no open rooms, no ffmpeg children and, when a baseline is given, no
 * more fds, UDP sockets or children than it had. Rooms close asynchronously (ffmpeg children are reaped, peers close
 * their sockets), so this waits instead of reading once. Always resolves, with the last sample.
 */
export async function settle(pid: number, api: ControlApi, timeoutMs: number, baseline?: ProcessSample): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sample = sampleProcess(pid);
    const waiting: string[] = [];
    const rooms = await api.rooms().catch((err: Error) => {
      waiting.push(`the room list (${err.message})`);
      return [];
    });
    if (rooms.length) waiting.push(`rooms to close: ${rooms.map((r) => `${r.name} (${r.participants} participants)`).join(", ")}`);
    if (sample.ffmpegChildren.length)
      waiting.push(`${sample.ffmpegChildren.length} ffmpeg children to exit (pids ${sample.ffmpegChildren.map((c) => c.pid).join(", ")})`);
    if (baseline && sample.fds > baseline.fds) waiting.push(`fds ${sample.fds} to come back to ${baseline.fds}`);
    if (baseline && sample.children > baseline.children) waiting.push(`children ${sample.children} to come back to ${baseline.children}`);
    if (baseline && sample.udpSockets > baseline.udpSockets)
      waiting.push(`UDP sockets ${sample.udpSockets} to come back to ${baseline.udpSockets}`);
    if (!waiting.length) return { ok: true, sample, waitingFor: "" };
    if (Date.now() > deadline) return { ok: false, sample, waitingFor: waiting.join("; ") };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
