import type { Logger } from "./log.js";
import type { RunningServer } from "./server.js";

// A repeat this soon is the same request, not impatience: under `npm start` a terminal's Ctrl-C reaches the
// server twice (once from the terminal, once forwarded by npm).
const REPEAT_IS_SAME_MS = 1000;

/**
 * SIGTERM/SIGINT: close every room (clients get `bye`, recordings are finished), stop every ffmpeg child,
 * exit 0. If that takes longer than `graceMs`, or another signal comes later on (Ctrl-C again), kill what
 * is left and exit 1 so the log and the exit status both say it was not clean. Returns the same stop for a
 * fault that ends the process (src/processFaults.ts): it exits 1 even when the stop is clean.
 */
export function exitOnSignals(server: RunningServer, log: Logger, graceMs: number): (why: string) => void {
  let exitCode = 0;
  let stoppingSince: number | undefined;
  let forced = false;
  const force = (why: string) => {
    if (forced) return;
    forced = true;
    log.error(`${why}; killing what is left`, { ffmpegChildren: server.processes.pids });
    void Promise.all([server.processes.killAll(), server.workers?.killAll()]).finally(() => process.exit(1));
  };
  const stop = (signal: string) => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince >= REPEAT_IS_SAME_MS) force(`${signal} again while stopping`);
      return;
    }
    stoppingSince = performance.now();
    log.info("stopping", { signal, rooms: server.rooms.all().length, graceMs });
    const timer = setTimeout(() => force(`shutdown did not finish within ${graceMs} ms`), graceMs);
    server.close().then(
      () => {
        clearTimeout(timer);
        if (forced) return;
        log.info("stopped");
        process.exit(exitCode);
      },
      (err: Error) => {
        clearTimeout(timer);
        log.error("shutdown failed", { error: err.stack ?? err.message });
        force("shutdown failed");
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return (why) => {
    exitCode = 1;
    stop(why);
  };
}
