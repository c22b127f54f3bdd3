import { EventEmitter } from "node:events";
import { isAlive, type TrackedProcess } from "../../mixer/ffmpeg/processGroup.js";

const GONE_POLL_MS = 20;
const GONE_WAIT_MS = 5000;

/**
 * In the server's process group, a child that is not the server's own: a media worker, or an ffmpeg child
 * of a worker's room. It counts (load, shutdown, tests) until its owner reports it reaped, or until the
 * server has killed it and it is gone from the process table.
 */
export class RemoteProcess extends EventEmitter<{ exit: [] }> implements TrackedProcess {
  private exited = false;

  constructor(
    readonly pid: number,
    readonly label: string,
  ) {
    super();
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Its owner reaped it. */
  markExited(): void {
    if (this.exited) return;
    this.exited = true;
    this.emit("exit");
  }

  /** SIGKILL to this PID (one the server's worker started), resolved once it is gone (bounded). */
  async kill(): Promise<void> {
    if (this.exited) return;
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    const deadline = performance.now() + GONE_WAIT_MS;
    while (isAlive(this.pid) && performance.now() < deadline && !this.exited) await new Promise((r) => setTimeout(r, GONE_POLL_MS));
    this.markExited();
  }
}
