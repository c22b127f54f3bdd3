/**
 * Start-up time: from spawning `npm start` to the first 200 from /healthz, and the server's resident
 * memory at that moment. Each run starts the server on a free loopback port, polls /healthz every 5 ms,
 * reads VmRSS of every process in the tree from /proc, then stops it with SIGTERM and waits for the
 * whole tree to exit (a run that leaves a process behind fails).
 *
 *   node --import tsx bench/startup.ts [runs=5] [command...]    # default command: npm start
 *
 * The working directory is the checkout whose start-up is measured.
 */
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";

const runs = Number(process.argv[2] ?? 5);
const command = process.argv.length > 3 ? process.argv.slice(3) : ["npm", "start"];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The pid's descendants (not itself), from each process's parent in /proc/<pid>/stat. */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited between readdir and read
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parentOf)
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
  }
  return found;
}

function rssKiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

interface Run {
  readonly ms: number;
  /** RSS of the process that answers /healthz (the deepest node in the tree). */
  readonly serverMiB: number;
  /** RSS of the whole tree: npm, any shell, the server. */
  readonly treeMiB: number;
  readonly exitCode: number | null;
  readonly leftBehind: string[];
}

async function once(): Promise<Run> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = started + 30_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("no 200 from /healthz within 30 s");
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - started;
  const tree = [child.pid!, ...descendants(child.pid!)];
  const nodes = tree.filter((pid) => comm(pid) === "node" || comm(pid).startsWith("node"));
  const server = nodes[nodes.length - 1] ?? child.pid!;
  const serverMiB = rssKiB(server) / 1024;
  const treeMiB = tree.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024;
  child.kill("SIGTERM");
  const exitCode = await exited;
  // Children see their pipes close when the server exits and may take a moment to follow: give them 2 s.
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let waited = 0; waited < 2000 && tree.some(alive); waited += 20) await new Promise((r) => setTimeout(r, 20));
  // Only processes that were in the tree and still are: a pid reused by an unrelated process is not ours.
  const treeNow = new Set([child.pid!, ...descendants(child.pid!)]);
  const leftBehind = tree.filter(alive).map((pid) => `${pid} ${comm(pid)}${treeNow.has(pid) ? "" : " (reparented)"}`);
  return { ms, serverMiB, treeMiB, exitCode, leftBehind };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results: Run[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.log(
    `run ${i + 1}: ${r.ms.toFixed(0)} ms to /healthz, server ${r.serverMiB.toFixed(1)} MiB, tree ${r.treeMiB.toFixed(1)} MiB, exit ${r.exitCode}${r.leftBehind.length ? `, LEFT BEHIND ${r.leftBehind.join(",")}` : ""}`,
  );
}
console.log(
  `median of ${runs}: ${median(results.map((r) => r.ms)).toFixed(0)} ms, server ${median(results.map((r) => r.serverMiB)).toFixed(1)} MiB, ` +
    `tree ${median(results.map((r) => r.treeMiB)).toFixed(1)} MiB  (${command.join(" ")})`,
);
if (results.some((r) => r.exitCode !== 0 || r.leftBehind.length > 0)) process.exitCode = 1;
