import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./freePort.js";

const MAIN = fileURLToPath(new URL("./s3rverMain.mjs", import.meta.url));
/** s3rver's fixed credentials (it checks the signature against them). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3TestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /**
   * The storage is down: SIGKILL, no goodbye to connections in flight (a crash or a network cut). The
   * signal is sent before this returns (called from an event handler, nothing else runs in between).
   */
  kill(): Promise<void>;
  /** Up again on the same port and directory (what was stored is still there). */
  restart(): Promise<void>;
  /** Stops it for good (SIGTERM, then SIGKILL after 5 s). */
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 in its own process, storing in `dir`, with `bucket` made. */
export async function startS3Server(dir: string, bucket = "tessera-recordings"): Promise<S3TestServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(process.execPath, [MAIN, String(port), dir, bucket], { stdio: ["ignore", "pipe", "inherit"] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("s3rver did not listen within 15 s")), 15_000);
      let out = "";
      c.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code}) before listening`));
      });
    });
  };
  const stop = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { endpoint: `http://127.0.0.1:${port}`, port, bucket, kill: () => stop("SIGKILL"), restart: start, close: () => stop("SIGTERM") };
}
