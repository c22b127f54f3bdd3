import { ConfigError, configFromEnv, type Config } from "./config.js";
import { createLogger } from "./log.js";
import { startServer } from "./server.js";
import { ProcessFaults } from "./processFaults.js";
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

// A fault nobody caught is logged and counted, and ends the process only before it serves or when it is no
// Error at all (src/processFaults.ts, docs/decisions.md).
const faults = new ProcessFaults(log);
let stopServer: ((why: string) => void) | undefined;
faults.install(process, (why) => (stopServer ? stopServer(why) : process.exit(1)));

try {
  stopServer = exitOnSignals(await startServer(config, log, faults), log, config.shutdownGraceMs);
  faults.started();
} catch (err) {
  log.error(`failed to start: ${(err as Error).message}`);
  process.exit(1);
}
