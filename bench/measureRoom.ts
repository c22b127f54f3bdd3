/**
 * Measures one MCU room under load: starts the server as its own process (`npm start`), joins N headless
 * werift senders replaying a pre-encoded 640x480 VP8 clip plus an Opus tone, and one viewer that counts
 * the mixed stream's frames. Reports the CPU of the server process tree (Node + every ffmpeg child),
 * read from /proc, and the output frame rate as received.
 *
 *   npx tsx bench/measureRoom.ts [senders=6] [seconds=20] [warmup=5]
 */
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { testPatternClip } from "../test/helpers/fixtures.js";
import { TestClient } from "../test/helpers/testClient.js";

const senders = Number(process.argv[2] ?? 6);
const seconds = Number(process.argv[3] ?? 20);
const warmup = Number(process.argv[4] ?? 5);
const port = 18000 + Math.floor(Math.random() * 1000);
const CLK_TCK = 100;

function treeCpuTicks(root: number): { ticks: number; pids: number[]; byPid: Map<number, number>; names: Map<number, string> } {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      /* process ended while listing */
    }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && pid !== 1 && inTree(parent.get(pid)!));
  const pids = [...ticks.keys()].filter(inTree);
  return { ticks: pids.reduce((sum, pid) => sum + ticks.get(pid)!, 0), pids, byPid: ticks, names };
}

const extraNodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const server = spawn(process.execPath, [...extraNodeArgs, "--import", "tsx", "src/main.ts"], {
  env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", ICE_HOST_ADDRESSES: "127.0.0.1", LOG_LEVEL: "warn" },
  stdio: ["ignore", "inherit", "inherit"],
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    /* not up yet */
  }
  await new Promise((r) => setTimeout(r, 200));
}

const clip = testPatternClip();
const clients: TestClient[] = [];
for (let i = 0; i < senders; i++) {
  const c = new TestClient({ url, room: "bench", name: `Sender ${i + 1}`, clip, toneHz: 300 + 100 * i, decode: false });
  await c.connect();
  clients.push(c);
}
const viewer = new TestClient({ url, room: "bench", name: "Viewer", role: "viewer", decode: false });
await viewer.connect();
clients.push(viewer);

await new Promise((r) => setTimeout(r, warmup * 1000));
const start = treeCpuTicks(server.pid!);
const t0 = performance.now();
const frames0 = viewer.frameArrivals.length;
await new Promise((r) => setTimeout(r, seconds * 1000));
const end = treeCpuTicks(server.pid!);
const elapsed = (performance.now() - t0) / 1000;
const frames = viewer.frameArrivals.length - frames0;
const window = viewer.frameArrivals.slice(frames0);
let maxGapMs = 0;
for (let i = 1; i < window.length; i++) maxGapMs = Math.max(maxGapMs, window[i] - window[i - 1]);

const byName = new Map<string, number>();
for (const pid of end.pids) {
  const name = end.names.get(pid) ?? "?";
  const used = (end.byPid.get(pid)! - (start.byPid.get(pid) ?? 0)) / CLK_TCK / elapsed;
  byName.set(name, (byName.get(name) ?? 0) + used);
}
console.log(JSON.stringify({
  senders,
  seconds: Number(elapsed.toFixed(1)),
  serverCpuCores: Number(((end.ticks - start.ticks) / CLK_TCK / elapsed).toFixed(3)),
  processes: end.pids.length,
  outputFps: Number((frames / elapsed).toFixed(2)),
  maxFrameGapMs: Math.round(maxGapMs),
  cpuByProcess: Object.fromEntries([...byName].map(([k, v]) => [k, Number(v.toFixed(3))])),
}));
await Promise.all(clients.map((c) => c.close()));
server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
process.exit(0);
