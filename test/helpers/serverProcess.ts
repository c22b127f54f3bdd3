import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./freePort.js";

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:port` of METRICS_PORT, when `metrics` was asked for. */
  readonly metricsUrl?: string;
  readonly metricsPort?: number;
  /** Everything the server wrote to stderr so far (its JSON log). */
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Stops it if still running (its own PID): SIGTERM, so it stops its ffmpeg children itself, then SIGKILL
   * if it has not exited within 15 s. Waits for the exit.
   */
  kill(): Promise<void>;
}

/**
 * src/main.ts as its own process on loopback (what `npm start` runs, from sources), once /healthz answers. `preload`: modules loaded before main (`--import`), e.g. a test's fault injector.
 */
export async function startServerProcess(
  options: { env?: Record<string, string>; metrics?: boolean; preload?: readonly string[] } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const metricsPort = options.metrics ? await freePort() : undefined;
  const child = spawn(process.execPath, ["--import", "tsx", ...(options.preload ?? []).flatMap((p) => ["--import", p]), "src/main.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ICE_HOST_ADDRESSES: "127.0.0.1",
      API_TOKEN: "",
      ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}),
      ...options.env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const server: ServerProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    metricsPort,
    metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}` : undefined,
    stderr: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await untilHealthy(server);
  } catch (err) {
    await server.kill();
    throw err;
  }
  return server;
}

/** Polls /healthz (whatever LOG_LEVEL hides) until it answers 200, for at most 30 s. */
async function untilHealthy(server: ServerProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.child.exitCode !== null)
      throw new Error(`the server exited (${server.child.exitCode}) before listening; stderr: ${server.stderr()}`);
    const status = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 30 s; stderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The JSON log lines of `stderr` whose `msg` matches `pattern`. */
export function logLines(stderr: string, pattern: RegExp): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => typeof entry.msg === "string" && pattern.test(entry.msg));
}
