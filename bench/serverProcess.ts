import { spawn, type ChildProcess } from "node:child_process";

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then wait for the server (and so its ffmpeg children) to be gone. */
  stop(): Promise<void>;
}

/**
 * The server as its own process, from sources through tsx (`npm start` runs the same code bundled, in
 * about 40 MiB less), on loopback only, so its CPU can be read from /proc apart from the load generator's.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`).
 */
export async function startServerProcess(nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const port = 18000 + Math.floor(Math.random() * 1000);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ICE_HOST_ADDRESSES: "127.0.0.1",
      LOG_LEVEL: "warn",
      // Every load client connects from 127.0.0.1, and the capacity search opens many rooms.
      MAX_CONNECTIONS_PER_ADDRESS: "100000",
      MAX_ROOMS: "10000",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        url,
        pid: child.pid!,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  await exited;
  throw new Error("the server did not become healthy within 30 s");
}
