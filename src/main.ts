import { ConfigError, configFromEnv } from "./config.js";
import { createLogger } from "./log.js";
import { startServer } from "./server.js";

const log = createLogger();

// A stray rejection from a peer library must not take every room down with it: log it and carry on.
process.on("unhandledRejection", (reason) => {
  log.error("unhandled rejection", { error: reason instanceof Error ? reason.stack : String(reason) });
});

try {
  const server = await startServer(configFromEnv(), log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error("shutdown failed", { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
} catch (err) {
  log.error(err instanceof ConfigError ? err.message : `failed to start: ${(err as Error).message}`);
  process.exit(1);
}
