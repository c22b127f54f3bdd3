import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../test/helpers/freePort.js";
import { createWriteStream } from "node:fs";
import { healthy } from "./http.js";
import { stillRunning, type ChildProcessId } from "./procProbe.js";

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SoakServerOptions {
  /** Extra environment for the server (on top of loopback-only defaults). */
  readonly env?: Readonly<Record<string, string>>;
  readonly token: string;
  readonly logLevel?: "debug" | "info" | "warn" | "error";
  readonly startTimeoutMs?: number;
  /** Also append everything the server writes to stderr to this file (the whole log, for a post-mortem). */
  readonly logFile?: string;
  /**
   * Listen on this port instead of a free one: a cluster node's NODE_URL names its port before it starts, and
   * a killed server is started again where the pages look.
   */
  readonly port?: number;
}

/** The real server (`src/main.ts`, as `npm start` runs it) in a process of its own, on 127.0.0.1. */
export interface SoakServer {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
  /** Resolves when the process exits, however that happens. */
  readonly exited: Promise<ServerExit>;
  /** Set once the process has exited. */
  readonly exit: ServerExit | undefined;
  /** Warn and error log lines (JSON), oldest first, at most the first 200. */
  readonly problems: readonly string[];
  /** The last lines of stderr, for a failure message. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<ServerExit>;
}

const MAX_PROBLEMS = 200;
const TAIL_LINES = 200;

export async function startSoakServer(options: SoakServerOptions): Promise<SoakServer> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ICE_HOST_ADDRESSES: "127.0.0.1",
      API_TOKEN: options.token,
      LOG_LEVEL: options.logLevel ?? "warn",
      ...options.env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  if (child.pid === undefined) throw new Error("could not start the server process");
  const pid = child.pid;
  const problems: string[] = [];
  const tail: string[] = [];
  let partial = "";
  const logFile = options.logFile ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  child.stderr!.on("data", (chunk: Buffer) => {
    logFile?.write(chunk);
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      // pino levels: 40 warn, 50 error, 60 fatal. Anything not JSON (a native abort's message) is a problem too.
      const level = /"level":(\d+)/.exec(line)?.[1];
      if ((level === undefined || Number(level) >= 40) && line.trim() && problems.length < MAX_PROBLEMS) problems.push(line);
    }
  });
  let exit: ServerExit | undefined;
  const exited = new Promise<ServerExit>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      logFile?.end();
      resolve(exit);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: SoakServer = {
    pid,
    url,
    token: options.token,
    exited,
    get exit() {
      return exit;
    },
    problems,
    logTail: (lines = 40) => [...tail, partial].slice(-lines).join("\n"),
    stop: async (graceMs = 15_000) => {
      if (exit) return exit;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  // Bundling the client page at start-up takes seconds on a busy machine.
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await healthy(url, 2000))) {
    if (exit || Date.now() > deadline) {
      await server.stop(2000);
      throw new Error(
        `the server did not become healthy (${exit ? `exited ${JSON.stringify(exit)}` : "timed out"}); log:\n${server.logTail()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return server;
}

/**
 * Kills, by pid, the ffmpeg children the server was seen with that still run: after a crash they are
 * orphaned and nobody else will end them. Returns how many were still running.
 */
export function killLeftovers(seen: Iterable<ChildProcessId>): number {
  let killed = 0;
  for (const id of seen) {
    if (!stillRunning(id)) continue;
    try {
      process.kill(id.pid, "SIGKILL");
      killed++;
    } catch {
      // ended between the check and the kill
    }
  }
  return killed;
}
