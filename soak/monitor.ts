import { healthy } from "./http.js";
import { sampleProcess, stillRunning, type ChildProcessId, type ProcessSample } from "./procProbe.js";
import type { SoakServer } from "./serverProcess.js";

export interface MonitorOptions {
  readonly sampleEveryMs?: number;
  readonly healthEveryMs?: number;
  /** How long /healthz may take before it counts as not answering: an event loop stalled that long is a failure. */
  readonly healthTimeoutMs?: number;
}

/**
 * Watches the server while churn runs: is it alive, does /healthz answer, what are its peaks, and which
 * ffmpeg children has it had (so they can be killed by pid if the server dies and orphans them).
 */
export class ServerMonitor {
  readonly healthFailures: string[] = [];
  /** Slowest /healthz answer so far: how long the server's event loop was unable to answer. */
  slowestHealthMs = 0;
  peak = { rssBytes: 0, fds: 0, udpSockets: 0, ffmpegChildren: 0 };
  latest: ProcessSample | undefined;
  private readonly seen = new Map<string, ChildProcessId>();
  private timers: NodeJS.Timeout[] = [];
  private checking = false;

  constructor(
    private readonly server: SoakServer,
    private readonly options: MonitorOptions = {},
  ) {}

  start(): void {
    this.timers.push(setInterval(() => this.sample(), this.options.sampleEveryMs ?? 500));
    this.timers.push(setInterval(() => void this.checkHealth(), this.options.healthEveryMs ?? 2000));
  }

  stop(): void {
    this.timers.forEach(clearInterval);
    this.timers = [];
  }

  /** ffmpeg children seen at any sample that are still running, whoever their parent is now. */
  leftoverChildren(): ChildProcessId[] {
    return [...this.seen.values()].filter(stillRunning);
  }

  /** A sample now (also kept as `latest`); undefined once the server is gone. */
  sample(): ProcessSample | undefined {
    if (this.server.exit) return undefined;
    let s: ProcessSample;
    try {
      s = sampleProcess(this.server.pid);
    } catch {
      return undefined; // exited between the check and the read
    }
    this.latest = s;
    for (const c of s.ffmpegChildren) this.seen.set(`${c.pid}:${c.startTicks}`, c);
    // Forget children that have ended, so a 30-minute run keeps a short list.
    if (this.seen.size > 200) for (const [key, c] of this.seen) if (!stillRunning(c)) this.seen.delete(key);
    this.peak = {
      rssBytes: Math.max(this.peak.rssBytes, s.rssBytes),
      fds: Math.max(this.peak.fds, s.fds),
      udpSockets: Math.max(this.peak.udpSockets, s.udpSockets),
      ffmpegChildren: Math.max(this.peak.ffmpegChildren, s.ffmpegChildren.length),
    };
    return s;
  }

  private async checkHealth(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const timeout = this.options.healthTimeoutMs ?? 10_000;
    const at = new Date().toISOString();
    const started = performance.now();
    if (this.server.exit) this.healthFailures.push(`${at}: the server process has exited: ${JSON.stringify(this.server.exit)}`);
    else if (!(await healthy(this.server.url, timeout)))
      this.healthFailures.push(`${at}: /healthz did not answer 200 within ${timeout} ms`);
    else this.slowestHealthMs = Math.max(this.slowestHealthMs, performance.now() - started);
    this.checking = false;
    // One line is enough for a dead server; stop checking.
    if (this.server.exit) this.stop();
  }
}
