import { liveFfmpegProcesses } from "../mixer/ffmpeg/ffmpegProcess.js";
import type { Logger } from "./log.js";
import type { RunningServer } from "./server.js";

/** How long rooms get to finish (recordings included) before the server stops them by force. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * SIGTERM/SIGINT: close every room (clients get `bye`, recordings are finished), stop every ffmpeg child,
 * exit 0. If that takes longer than the grace period, or a second signal comes (Ctrl-C twice), kill what
 * is left and exit 1 so the log and the exit status both say it was not clean.
 */
export function exitOnSignals(server: RunningServer, log: Logger, graceMs = SHUTDOWN_GRACE_MS): void {
  let stopping = false;
  let forced = false;
  const force = (why: string) => {
    if (forced) return;
    forced = true;
    const left = [...liveFfmpegProcesses()];
    log.error(`${why}; killing what is left`, { ffmpegChildren: left.map((p) => p.pid) });
    void Promise.all(left.map((p) => p.kill())).finally(() => process.exit(1));
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return force(`second ${signal} while stopping`);
    stopping = true;
    log.info("stopping", { signal, rooms: server.rooms.all().length, graceMs });
    const timer = setTimeout(() => force(`shutdown did not finish within ${graceMs} ms`), graceMs);
    server.close().then(
      () => {
        clearTimeout(timer);
        if (forced) return;
        log.info("stopped");
        process.exit(0);
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
}
