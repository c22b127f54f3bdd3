import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import pretty from "pino-pretty";

/**
 * Structured logging on pino: one JSON object per line on stderr (room and participant ids as fields),
 * or pino-pretty's readable lines when stderr is a terminal. The rest of the code sees only `Logger`.
 */
export type LogFields = Record<string, unknown>;
export const logLevels = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Defaults to LOG_LEVEL, else info. An unknown LOG_LEVEL falls back to info rather than hiding errors. */
  readonly level?: LogLevel;
  readonly base?: LogFields;
  /** Where lines go; defaults to stderr (pretty when it is a TTY). Tests pass their own to read the lines. */
  readonly destination?: DestinationStream;
}

export function levelFromEnv(value: string | undefined): LogLevel {
  return (logLevels as readonly string[]).includes(value ?? "") ? (value as LogLevel) : "info";
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? levelFromEnv(process.env.LOG_LEVEL);
  const destination = options.destination ?? stderrDestination();
  const root = pino(
    {
      level,
      base: { ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not pino's numbers: the lines are read by people and by log shippers alike.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(root);
}

/** For tests and tools that want no output at all. */
export const silentLogger: Logger = createLogger({ level: "silent" });

function stderrDestination(): DestinationStream {
  // Through process.stderr, which is synchronous for files, pipes and terminals on Linux and macOS, so the
  // last lines before process.exit (shutdown, fatal config) are not lost; and a test run can hold a test's
  // lines back until it fails (test/setup/quietLogs.ts), which writes straight to fd 2 would not allow.
  if (process.stderr.isTTY) return pretty({ destination: process.stderr, colorize: true, translateTime: "SYS:HH:MM:ss.l" });
  return process.stderr;
}

function wrap(p: PinoLogger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  };
}
