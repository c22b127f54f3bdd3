// A real coturn (Debian's turnserver) on a free loopback port, as /work/shared/notes/services-on-loopback.md
// describes: TURN REST auth (use-auth-secret), relaying between endpoints on 127.0.0.1 only.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./freePort.js";

export const TURNSERVER = "/usr/bin/turnserver";

export class Coturn {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts coturn and resolves once its UDP listener is open. */
  static async start(secret: string): Promise<Coturn> {
    if (!existsSync(TURNSERVER))
      throw new Error(`${TURNSERVER} not found: install Debian's coturn (apt-get install -y coturn); .ci/run does`);
    const dir = mkdtempSync(join(tmpdir(), "tessera-coturn-"));
    const port = await freePort();
    // A relay port range of its own, so coturns of parallel test runs do not fight over ports.
    const minPort = 50_000 + Math.floor(Math.random() * 700) * 20;
    const config = [
      "listening-ip=127.0.0.1",
      "relay-ip=127.0.0.1",
      `listening-port=${port}`,
      `min-port=${minPort}`,
      `max-port=${minPort + 19}`,
      "fingerprint",
      "realm=tessera.test",
      "use-auth-secret",
      `static-auth-secret=${secret}`,
      "allow-loopback-peers",
      "no-cli",
      "no-tls",
      "no-dtls",
      "no-tcp-relay",
      "simple-log",
      "verbose",
      `userdb=${join(dir, "turndb")}`,
      `pidfile=${join(dir, "turn.pid")}`,
      `log-file=${join(dir, "turn.log")}`,
    ].join("\n");
    writeFileSync(join(dir, "turn.conf"), `${config}\n`);
    const child = spawn(TURNSERVER, ["-c", join(dir, "turn.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const coturn = new Coturn(child, dir, port);
    const deadline = Date.now() + 10_000;
    while (!/UDP listener opened on\s*: 127\.0\.0\.1:\d+/.test(coturn.log())) {
      if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}: ${stderr}${coturn.log()}`);
      if (Date.now() > deadline) {
        await coturn.stop();
        throw new Error(`turnserver did not open its UDP listener within 10 s: ${coturn.log().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return coturn;
  }

  /** Everything coturn has logged so far. */
  log(): string {
    try {
      return readFileSync(join(this.dir, "turn.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** SIGTERM by PID (SIGKILL after 3 s), then its files go. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
