/** Where a room's media code reports an exception it did not expect, and in which callback it happened. */
export type FaultHandler = (error: unknown, where: string) => void;

/**
 * A room's fault boundary. Every callback that enters a room's media code from outside — a timer, a
 * child process's output or exit, a packet from the network — runs through it, so an exception there
 * reaches the room that owns the code (which closes or restarts its part) instead of Node's
 * uncaught-exception path, which would end the process and every other room with it.
 */
export class FaultBoundary {
  constructor(private readonly onFault: FaultHandler) {}

  /** Calls `fn`; an exception goes to the room's handler instead of up the stack. */
  run(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err, where);
    }
  }

  /** `fn` as a callback that never throws: what timers, event emitters and streams are given. */
  wrap<A extends unknown[]>(where: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => this.run(where, () => fn(...args));
  }

  report(err: unknown, where: string): void {
    try {
      this.onFault(err, where);
    } catch {
      // The room's own handler failed: there is nobody left to tell, and throwing would end the process.
    }
  }
}
