import { liveFfmpegProcesses } from "../mixer/ffmpeg/ffmpegProcess.js";
import type { Logger } from "./log.js";
import type { RunningServer } from "./server.js";

/** How long rooms get to finish (recordings included) before the server stops them by force. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * SIGTERM/SIGINT: close every room (clients get `bye`, recordings are finished), stop every ffmpeg child,
 * exit 0. If that takes longer than the grace period, kill what is left and exit 1 so the log says so.
 */
export function exitOnSignals(server: RunningServer, log: Logger, graceMs = SHUTDOWN_GRACE_MS): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while stopping is ignored: the grace timer already bounds how long this takes.
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal, rooms: server.rooms.all().length, graceMs });
    const force = setTimeout(() => {
      const left = [...liveFfmpegProcesses()];
      log.error("shutdown did not finish in time; killing what is left", { ffmpegChildren: left.map((p) => p.pid) });
      void Promise.all(left.map((p) => p.kill())).finally(() => process.exit(1));
    }, graceMs);
    server.close().then(
      () => {
        clearTimeout(force);
        log.info("stopped");
        process.exit(0);
      },
      (err: Error) => {
        clearTimeout(force);
        log.error("shutdown failed", { error: err.stack ?? err.message });
        void Promise.all([...liveFfmpegProcesses()].map((p) => p.kill())).finally(() => process.exit(1));
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
