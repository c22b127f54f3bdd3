// A weak link of the test's own, between the test process (where the server runs, on 127.0.0.1) and a browser
// in a network namespace:
//
//   browser (ns) -> 127.0.0.1:P in the ns -> weakLinkRelay.ts (delay, loss) -> veth, tbf both ways ->
//   10.213.x.1:P (forwarder in this process) -> 127.0.0.1:P (the server)
//
// P: the server's ICE ports (ICE_PORT_MIN..MAX, so the browser's candidates name 127.0.0.1:P in both places)
// and its HTTP port (the page and its WebSocket: same origin, a secure context). The veth pair and its /30 are
// the test's own; tbf limits the rate (this kernel has no netem), the relay adds delay and loss. Everything is
// removed on close, on a failed set-up and on SIGINT/SIGTERM; a killed run's leftovers (namespaces named after
// a process that is gone) are removed by the next run's first create().
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { isAlive } from "../../mixer/ffmpeg/processGroup.js";
import { createSocket, type Socket } from "node:dgram";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface WeakLinkOptions {
  /** The server's ICE port range (inclusive), as its icePortRange. */
  readonly icePorts: readonly [number, number];
  /** TCP ports of the server reachable from the namespace (its HTTP port). */
  readonly tcpPorts: readonly number[];
  /** Added one-way delay, ms, each direction. */
  readonly delayMs: number;
  /** Random loss, 0..1, each direction. */
  readonly loss: number;
}

const PREFIX = "tsr";
const RELAY = join(dirname(fileURLToPath(import.meta.url)), "weakLinkRelay.ts");
let created = 0;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
}

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    // Already gone.
  }
}

/** Why a weak link cannot be made here (not root, no `ip`, namespaces refused), or undefined when it can. */
export function weakLinkUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root (the weak-link test runs as root in CI)";
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    ip("netns", "add", probe);
    ip("-n", probe, "link", "set", "lo", "up");
    execFileSync("tc", ["qdisc", "show"], { stdio: "ignore", timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `this machine refuses network namespaces or tc: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    quietly(() => ip("netns", "del", probe));
  }
}

/** Namespaces (and their processes) and host-side links left by a run whose process is gone. */
export function removeLeftovers(): void {
  for (const line of ip("netns", "list").split("\n")) {
    const m = /^(tsr(\d+)-\w+)/.exec(line.trim());
    if (!m || isAlive(Number(m[2]))) continue;
    // Processes inside one of our namespaces are that run's relay and browser.
    for (const pid of ip("netns", "pids", m[1])
      .split("\n")
      .map(Number)
      .filter((p) => p > 0))
      quietly(() => process.kill(pid, "SIGKILL"));
    quietly(() => ip("netns", "del", m[1]));
  }
  for (const line of ip("-o", "link", "show").split("\n")) {
    const m = /^\d+:\s+(tsr(\d+)-\w+?)(@\S+)?:/.exec(line);
    if (m && !isAlive(Number(m[2]))) quietly(() => ip("link", "del", m[1]));
  }
}

/** A /30 of 10.213.0.0/16 that no interface here uses yet. */
function freeSubnet(seed: number): { host: string; ns: string } {
  const used = ip("-o", "-4", "addr", "show");
  for (let i = 0; i < 16384; i++) {
    const index = (seed + i) % 16384;
    const base = `10.213.${index >> 6}.`;
    const last = (index & 63) * 4;
    if (!used.includes(`${base}${last + 1}/`) && !used.includes(`${base}${last + 2}/`))
      return { host: `${base}${last + 1}`, ns: `${base}${last + 2}` };
  }
  throw new Error("no free /30 in 10.213.0.0/16");
}

export class WeakLink {
  /** A script to give playwright-core as executablePath: Debian's Chromium, inside the namespace. */
  readonly chromiumPath: string;
  private relay: ChildProcess | undefined;
  private readonly forwarders: (Socket | Server)[] = [];
  private readonly dir: string;
  private closed = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.closeNow();
    process.kill(process.pid, signal);
  };

  private constructor(
    readonly ns: string,
    readonly hostAddress: string,
    readonly nsAddress: string,
    private readonly options: WeakLinkOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "tessera-weaklink-"));
    this.chromiumPath = join(this.dir, "chromium-in-netns");
    writeFileSync(this.chromiumPath, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
    chmodSync(this.chromiumPath, 0o755);
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
  }

  static async create(options: WeakLinkOptions): Promise<WeakLink> {
    removeLeftovers();
    const id = created++;
    const ns = `${PREFIX}${process.pid}-${id}`;
    const { host, ns: nsAddress } = freeSubnet(process.pid * 4 + id);
    const link = new WeakLink(ns, host, nsAddress, options);
    try {
      ip("netns", "add", ns);
      ip("link", "add", `${ns}h`, "type", "veth", "peer", "name", `${ns}n`);
      ip("link", "set", `${ns}n`, "netns", ns);
      ip("addr", "add", `${host}/30`, "dev", `${ns}h`);
      ip("link", "set", `${ns}h`, "up");
      ip("-n", ns, "addr", "add", `${nsAddress}/30`, "dev", `${ns}n`);
      ip("-n", ns, "link", "set", `${ns}n`, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      link.forward();
      await link.startRelay();
      return link;
    } catch (err) {
      link.closeNow();
      throw err;
    }
  }

  /** Limits the rate both ways with tbf (undefined: no limit). */
  shape(kbitPerSecond: number | undefined): void {
    for (const [dev, inNs] of [
      [`${this.ns}h`, false],
      [`${this.ns}n`, true],
    ] as const) {
      const prefix = inNs ? ["-n", this.ns] : [];
      quietly(() => execFileSync("tc", [...prefix, "qdisc", "del", "dev", dev, "root"], { stdio: "ignore", timeout: 10_000 }));
      if (kbitPerSecond === undefined) continue;
      // A queue of about 200 ms at the rate, as a mobile link's buffer; burst: a few packets.
      execFileSync(
        "tc",
        [...prefix, "qdisc", "add", "dev", dev, "root", "tbf", "rate", `${kbitPerSecond}kbit`, "burst", "6kb", "latency", "200ms"],
        { stdio: "pipe", timeout: 10_000 },
      );
    }
  }

  /** Changes the relay's delay and loss (each way). */
  impair(delayMs: number, loss: number): void {
    this.relay?.stdin?.write(`${JSON.stringify({ delayMs, loss })}\n`);
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    for (const f of this.forwarders) quietly(() => f.close());
    if (this.relay?.pid !== undefined && this.relay.exitCode === null) quietly(() => this.relay!.kill("SIGKILL"));
    // Whatever else runs in the namespace (the browser playwright started in it) is this test's.
    quietly(() => {
      for (const pid of ip("netns", "pids", this.ns)
        .split("\n")
        .map(Number)
        .filter((p) => p > 0))
        quietly(() => process.kill(pid, "SIGKILL"));
    });
    quietly(() => ip("netns", "del", this.ns));
    quietly(() => ip("link", "del", `${this.ns}h`));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The host's end: the veth address's ports lead to the server's on 127.0.0.1. */
  private forward(): void {
    const [first, last] = this.options.icePorts;
    for (let port = first; port <= last; port++) {
      const front = createSocket("udp4");
      this.forwarders.push(front);
      const upstream = new Map<string, Socket>();
      front.on("message", (msg, from) => {
        const key = `${from.address}:${from.port}`;
        let up = upstream.get(key);
        if (!up) {
          if (upstream.size >= 64) return;
          const created = createSocket("udp4");
          this.forwarders.push(created);
          created.on("message", (reply) => front.send(reply, from.port, from.address));
          created.on("error", () => undefined);
          created.bind(0, "127.0.0.1");
          upstream.set(key, created);
          up = created;
        }
        up.send(msg, port, "127.0.0.1");
      });
      front.on("error", () => undefined);
      front.bind(port, this.hostAddress);
    }
    for (const port of this.options.tcpPorts) {
      const server = createServer((client) => {
        const upstream = createConnection({ host: "127.0.0.1", port });
        client.pipe(upstream).pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
      });
      server.listen(port, this.hostAddress);
      this.forwarders.push(server);
    }
  }

  private async startRelay(): Promise<void> {
    const config = {
      host: this.hostAddress,
      ports: this.options.icePorts,
      tcpPorts: this.options.tcpPorts,
      delayMs: this.options.delayMs,
      loss: this.options.loss,
    };
    const relay = spawn("ip", ["netns", "exec", this.ns, process.execPath, "--import", "tsx", RELAY, JSON.stringify(config)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.relay = relay;
    let stderr = "";
    relay.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the weak-link relay did not start in 20 s: ${stderr}`)), 20_000);
      relay.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      relay.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the weak-link relay exited (${code}): ${stderr}`));
      });
    });
  }
}
