import { ConfigError, configFromEnv, type Config } from "./config.js";
import { createLogger } from "./log.js";
import { startServer } from "./server.js";
import { exitOnSignals } from "./shutdown.js";

let config: Config;
try {
  config = configFromEnv();
} catch (err) {
  // LOG_LEVEL itself may be what is wrong: report at the default level.
  createLogger().error(err instanceof ConfigError ? err.message : `failed to start: ${(err as Error).message}`);
  process.exit(1);
}
const log = createLogger({ level: config.logLevel });

// A stray rejection from a peer library must not take every room down with it: log it and carry on.
process.on("unhandledRejection", (reason) => {
  log.error("unhandled rejection", { error: reason instanceof Error ? reason.stack : String(reason) });
});

try {
  exitOnSignals(await startServer(config, log), log, config.shutdownGraceMs);
} catch (err) {
  log.error(`failed to start: ${(err as Error).message}`);
  process.exit(1);
}
