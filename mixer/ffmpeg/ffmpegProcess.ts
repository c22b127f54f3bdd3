import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { EventEmitter } from "node:events";
import type { MediaLogger } from "../log.js";
import { buildArgs, type FfmpegJob } from "./args.js";

const STDERR_TAIL_BYTES = 4096;
/** How much of ffmpeg's last words an unexpected exit logs: enough for its error, not a page of it. */
const LOGGED_STDERR_LINES = 8;
const TERM_GRACE_MS = 1500;

export interface FfmpegExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when close() asked for it; false means ffmpeg died on its own. */
  readonly requested: boolean;
  readonly stderrTail: string;
}

type FfmpegEvents = {
  stdout: [chunk: Buffer];
  exit: [exit: FfmpegExit];
};

/** Who owns a new child and where it logs: the media context of the room that starts it. */
export interface FfmpegOwner {
  /** Its ProcessGroup, as far as a starting child needs it (so the group's file and this one do not import each other). */
  readonly processes: { add(process: FfmpegProcess): void };
  readonly log: MediaLogger;
  readonly ffmpegPath: string;
}

/**
 * One ffmpeg child with an explicit lifecycle: started by the constructor (it joins its owner's process
 * group), ended by close(), which resolves only once the child has been reaped (it leaves the group).
 * Writes after ffmpeg died are dropped, never thrown. It logs its start (with the arguments) at debug, and
 * an exit nobody asked for at warn, with the code, the signal and ffmpeg's last lines.
 */
export class FfmpegProcess extends EventEmitter<FfmpegEvents> {
  readonly pid: number;
  readonly label: string;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderrTail = "";
  private closeRequested = false;
  private exited = false;
  private readonly exitPromise: Promise<FfmpegExit>;

  constructor(label: string, job: FfmpegJob, owner: FfmpegOwner) {
    super();
    this.label = label;
    const args = buildArgs(job);
    this.child = spawn(owner.ffmpegPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.pid = this.child.pid ?? -1;
    const log = owner.log.child({ process: label, pid: this.pid });
    log.debug("ffmpeg started", { args });
    owner.processes.add(this);
    this.child.stdin.on("error", () => undefined);
    this.child.stdout.on("data", (chunk: Buffer) => this.emit("stdout", chunk));
    this.child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    this.exitPromise = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        const exit = { code, signal, requested: this.closeRequested, stderrTail: this.stderrTail.trim() };
        if (exit.requested) log.debug("ffmpeg exited", { code, signal });
        else
          log.warn("ffmpeg exited on its own", {
            code,
            signal,
            stderr: exit.stderrTail.split("\n").slice(-LOGGED_STDERR_LINES).join("\n"),
          });
        resolve(exit);
        this.emit("exit", exit);
      };
      this.child.on("error", (err) => {
        this.stderrTail += `\nspawn error: ${err.message}`;
        finish(null, null);
      });
      this.child.on("close", finish);
    });
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Returns false when ffmpeg's stdin is full: the caller decides what to drop. */
  write(chunk: Buffer): boolean {
    if (this.exited || this.child.stdin.destroyed) return false;
    return this.child.stdin.write(chunk);
  }

  onDrain(listener: () => void): void {
    this.child.stdin.once("drain", listener);
  }

  /** Ends stdin so ffmpeg can flush, then escalates to SIGTERM and SIGKILL. */
  async close(): Promise<FfmpegExit> {
    this.closeRequested = true;
    if (!this.exited) {
      this.child.stdin.end();
      const term = setTimeout(() => this.child.kill("SIGTERM"), TERM_GRACE_MS);
      const kill = setTimeout(() => this.child.kill("SIGKILL"), TERM_GRACE_MS * 2);
      const exit = await this.exitPromise;
      clearTimeout(term);
      clearTimeout(kill);
      return exit;
    }
    return this.exitPromise;
  }

  /** For a child that must stop now (its input is gone and its output is no longer wanted). */
  async kill(): Promise<FfmpegExit> {
    this.closeRequested = true;
    if (!this.exited) this.child.kill("SIGKILL");
    return this.exitPromise;
  }
}
