import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./freePort.js";

/** A real redis-server (Debian's) of this test's own, on 127.0.0.1, with nothing written to disk. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Ends it (SIGTERM by its PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts redis-server on `port` (a free one if not given) and resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const listenOn = port ?? (await freePort());
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(listenOn), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  if (child.pid === undefined) throw new Error("could not start redis-server (is it installed? apt-get install redis-server)");
  const pid = child.pid;
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
    });
  });
  return {
    port: listenOn,
    url: `redis://127.0.0.1:${listenOn}`,
    pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGTERM");
      await exited;
    },
  };
}
