/**
 * A child a group tracks: an FfmpegProcess, or a stand-in in the server for a child a media worker started
 * (src/workers/), so the server's group still counts and can kill every child of its rooms.
 */
/** Whether a process of this id is in the process table (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // Someone else's process: alive, only not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface TrackedProcess {
  readonly pid: number;
  readonly label: string;
  /** False once it has exited. */
  readonly running: boolean;
  /** SIGKILL; resolves once reaped. */
  kill(): Promise<unknown>;
  once(event: "exit", listener: () => void): unknown;
}

/**
 * The ffmpeg children one owner started and has not yet reaped: the server has one, each room a child
 * group of it. A process joins its group when it starts and leaves it when it is reaped; a group counts
 * and kills its sub-groups' children too, so the server can end every child of its own rooms (and no
 * other server's) however a shutdown goes.
 */
export class ProcessGroup {
  private readonly processes = new Set<TrackedProcess>();
  private readonly groups = new Set<ProcessGroup>();

  constructor(private readonly parent?: ProcessGroup) {
    parent?.groups.add(this);
  }

  /** A group for one part of this owner (a room of the server). */
  child(): ProcessGroup {
    return new ProcessGroup(this);
  }

  /** Called by FfmpegProcess itself when it starts (and by a media worker's proxy for the worker's children). */
  add(process: TrackedProcess): void {
    this.processes.add(process);
    process.once("exit", () => this.processes.delete(process));
  }

  /** Every running child of this group and its sub-groups. */
  all(): TrackedProcess[] {
    return [...this.processes, ...[...this.groups].flatMap((g) => g.all())];
  }

  get size(): number {
    return this.all().length;
  }

  get pids(): number[] {
    return this.all().map((p) => p.pid);
  }

  /** For a shutdown that must end now: SIGKILL to every child, resolved once all are reaped. */
  async killAll(): Promise<void> {
    await Promise.all(this.all().map((p) => p.kill()));
  }

  /** The owner has closed (its children are reaped): the parent stops counting this group. */
  close(): void {
    this.parent?.groups.delete(this);
  }
}
