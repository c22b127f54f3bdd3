/**
 * What a real Chromium receiver pays for a room (issue 20, section 6): the CPU of its processes, read from
 * /proc, and its download, receiving an MCU room against an SFU room of N senders.
 *
 *   npx tsx bench/receiverCost.ts [--modes mcu,sfu] [--n 2,3,4,5,6] [--window 15] [--warmup 6] [--viewport desktop|phone] [--priority -10]
 *
 * The server runs as its own process on loopback (one for the whole run). For each mode and N: N werift
 * senders (bench/loadSenders.ts: the bench's 640x480 30 fps VP8 barcode clip at ~800 kbit/s and an Opus tone)
 * join a fresh room from a child process under `nice -n 10`, so the load they make yields to what is
 * measured; then a fresh headless Chromium opens the room's page as a viewer (the page a participant sees,
 * playing the mix or every forwarded stream), and after the warm-up its process tree (browser, renderer,
 * GPU and utility processes; no sandbox, software GL as on a machine without a GPU) is sampled over the
 * window, and so is the server's (Node and its ffmpeg children) beside it. The page's getStats gives its
 * download and the pictures it decoded.
 */
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { getPriority, loadavg, setPriority } from "node:os";
import { barcodeClip } from "./barcodeClip.js";
import { inboundStats, NAME_SHIM } from "./browserProbe.js";
import { coresBetween, sampleTree } from "./procStats.js";
import { startServerProcess } from "./serverProcess.js";
import { BrowserPool } from "../test/helpers/chromiumPool.js";

type Mode = "mcu" | "sfu";

interface Options {
  modes: Mode[];
  ns: number[];
  window: number;
  warmup: number;
  /** Nice value for this process, and so for the server and Chromium it starts (below 0 needs root). */
  priority: number | undefined;
  /** The receiving page's window: a desktop's, or an upright phone's (its mix then comes as a portrait rung). */
  viewport: keyof typeof VIEWPORTS;
}

const VIEWPORTS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
} as const;

function parseOptions(argv: string[]): Options {
  const options: Options = { modes: ["mcu", "sfu"], ns: [2, 3, 4, 5, 6], window: 15, warmup: 6, priority: undefined, viewport: "desktop" };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ""] = [argv[i], argv[i + 1]];
    if (flag === "--modes") {
      const modes = value.split(",");
      if (!modes.every((m): m is Mode => m === "mcu" || m === "sfu")) throw new Error(`--modes takes mcu and sfu, not ${value}`);
      options.modes = modes;
    } else if (flag === "--n") {
      const ns = value.split(",").map(Number);
      if (!ns.every((n) => Number.isInteger(n) && n >= 1 && n <= 12)) throw new Error(`--n takes sender counts of 1-12, not ${value}`);
      options.ns = ns;
    } else if (flag === "--viewport" && (value === "desktop" || value === "phone")) {
      options.viewport = value;
    } else if (flag === "--priority" && Number.isInteger(Number(value)) && Math.abs(Number(value)) <= 19) {
      options.priority = Number(value);
    } else if (flag === "--window" || flag === "--warmup") {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0 || n > 600) throw new Error(`${flag} takes seconds (1-600), not ${value}`);
      options[flag.slice(2) as "window" | "warmup"] = n;
    } else throw new Error(`unknown option ${flag} (use --modes, --n, --window, --warmup, --viewport desktop|phone, --priority -19..19)`);
  }
  return options;
}

const CLK_TCK = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds so far of every Chromium process under this one, grouped by Chromium's process type. */
function chromiumCpu(): Map<number, { kind: string; seconds: number }> {
  const parent = new Map<number, number>();
  const found = new Map<number, { kind: string; seconds: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      // Chromium rewrites its children's command lines into one string (setproctitle): split on spaces too.
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split(/[\0 ]/);
      if (!/chrom/.test(argv[0] ?? "")) continue;
      const type = argv.find((a) => a.startsWith("--type="))?.slice(7) ?? "browser";
      const sub = argv
        .find((a) => a.startsWith("--utility-sub-type="))
        ?.slice(19)
        .split(".")[0];
      found.set(Number(entry), { kind: sub ? `${type}:${sub}` : type, seconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK });
    } catch {
      // ended while listed
    }
  }
  const ours = (pid: number): boolean => pid === process.pid || (pid > 1 && parent.has(pid) && ours(parent.get(pid)!));
  for (const pid of found.keys()) if (!ours(pid)) found.delete(pid);
  return found;
}

function coresByKind(
  before: ReturnType<typeof chromiumCpu>,
  after: ReturnType<typeof chromiumCpu>,
  seconds: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, { kind, seconds: cpu }] of after) out[kind] = (out[kind] ?? 0) + (cpu - (before.get(pid)?.seconds ?? 0)) / seconds;
  return out;
}

/** The senders, in a child process under nice; resolves once all have joined. */
async function startSenders(url: string, room: string, n: number, mode: Mode): Promise<() => Promise<void>> {
  // nice adds to this process's own value: the senders end at 10 whatever priority the run has.
  const child = spawn(
    "nice",
    ["-n", String(10 - getPriority()), process.execPath, "--import", "tsx", "bench/loadSenders.ts", url, room, String(n), mode],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve(true))),
    exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 180_000))),
  ]);
  clearTimeout(timer);
  if (!ready) {
    await stop();
    throw new Error(`the ${n} senders did not all join within 180 s`);
  }
  return stop;
}

interface Row {
  mode: Mode;
  n: number;
  /** The server's whole process tree (Node and its ffmpeg children) over the same window. */
  serverCores: number;
  cores: number;
  byKind: Record<string, number>;
  downKbps: number;
  videoStreams: number;
  fps: number;
  decodeMsPerFrame: number;
  /** The largest picture the page decoded at the end of the window (the mix's rung; an SFU's streams). */
  picture: string;
  load: string;
}

async function measureRow(url: string, serverPid: number, mode: Mode, n: number, options: Options): Promise<Row> {
  const room = `receiver-${mode}-${n}-${Date.now().toString(36)}`;
  const stopSenders = await startSenders(url, room, n, mode);
  const pool = new BrowserPool();
  try {
    await pool.launch();
    const tp = await pool.openPage(pool.browsers[0], "receiver", undefined, VIEWPORTS[options.viewport]);
    await tp.page.addInitScript(NAME_SHIM);
    // Only the probe's peer-connection list is needed here (for getStats); no video is read back.
    await tp.page.addInitScript(() => {
      const list: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = list;
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          list.push(this);
        }
      } as typeof RTCPeerConnection;
    });
    await tp.page.goto(`${url}/?room=${room}&name=Viewer&role=viewer&mode=${mode}`);
    await sleep(options.warmup * 1000);
    const statsBefore = await tp.page.evaluate(inboundStats);
    const cpuBefore = chromiumCpu();
    const serverBefore = sampleTree(serverPid);
    const t0 = performance.now();
    await sleep(options.window * 1000);
    const cpuAfter = chromiumCpu();
    const serverAfter = sampleTree(serverPid);
    const seconds = (performance.now() - t0) / 1000;
    const statsAfter = await tp.page.evaluate(inboundStats);
    const { streams, picture } = await tp.page.evaluate(async () => {
      let video = 0;
      let picture = "";
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        (await pc.getStats()).forEach(
          (s: { type: string; kind?: string; framesDecoded?: number; frameWidth?: number; frameHeight?: number }) => {
            if (s.type !== "inbound-rtp" || s.kind !== "video" || (s.framesDecoded ?? 0) === 0) return;
            video++;
            if (
              s.frameWidth &&
              s.frameHeight &&
              s.frameWidth * s.frameHeight > Number(picture.split("x")[0]) * Number(picture.split("x")[1] ?? 0)
            )
              picture = `${s.frameWidth}x${s.frameHeight}`;
          },
        );
      }
      return { streams: video, picture };
    });
    const d = (kind: string, key: string) => (statsAfter[kind]?.[key] ?? 0) - (statsBefore[kind]?.[key] ?? 0);
    // A connection replaced in the window (an SFU page renegotiating after a failure) restarts its counters.
    if (d("video", "bytesReceived") < 0 || d("video", "framesDecoded") < 0)
      throw new Error("the page's counters went back during the window (a connection was replaced)");
    const byKind = coresByKind(cpuBefore, cpuAfter, seconds);
    const frames = d("video", "framesDecoded");
    return {
      mode,
      n,
      serverCores: coresBetween(serverBefore, serverAfter, seconds),
      cores: Object.values(byKind).reduce((a, b) => a + b, 0),
      byKind,
      // bytesReceived is payload only; the headers' share is small at these rates and left out.
      downKbps: ((d("video", "bytesReceived") + d("audio", "bytesReceived")) * 8) / seconds / 1000,
      videoStreams: streams,
      fps: frames / seconds,
      decodeMsPerFrame: (1000 * d("video", "totalDecodeTime")) / Math.max(1, frames),
      picture,
      load: loadavg()
        .map((l) => l.toFixed(1))
        .join(" "),
    };
  } finally {
    await pool.closeAll();
    await stopSenders();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // The senders stay at nice 10 whatever this is: they are the load, not what is measured.
  if (options.priority !== undefined) setPriority(options.priority);
  // The senders' clips are encoded once and cached; done here, not by the senders under nice, mid-run.
  for (let i = 0; i < Math.max(...options.ns); i++) barcodeClip(i, "vp8");
  const server = await startServerProcess();
  const rows: Row[] = [];
  try {
    for (const n of options.ns) {
      for (const mode of options.modes) {
        process.stderr.write(`${mode} N=${n}…\n`);
        try {
          const row = await measureRow(server.url, server.pid, mode, n, options);
          rows.push(row);
          process.stderr.write(`${JSON.stringify(row)}\n`);
        } catch (err) {
          // One row that cannot be measured (senders starved on a busy machine) does not lose the others.
          process.stderr.write(`${mode} N=${n} not measured: ${(err as Error).message}\n`);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.byKind)))].sort();
  console.log(
    `\n| mode | N | server CPU (cores) | receiver CPU (cores) | ${kinds.join(" | ")} | video streams decoded | largest picture | pictures decoded / s | decode ms / picture | down kbit/s | load average |`,
  );
  console.log(`|---|---|---|---|${kinds.map(() => "---").join("|")}|---|---|---|---|---|---|`);
  for (const r of rows) {
    console.log(
      `| ${r.mode} | ${r.n} | ${r.serverCores.toFixed(3)} | ${r.cores.toFixed(3)} | ${kinds.map((k) => (r.byKind[k] ?? 0).toFixed(3)).join(" | ")} | ${r.videoStreams} | ${r.picture} | ${r.fps.toFixed(1)} | ${r.decodeMsPerFrame.toFixed(1)} | ${r.downKbps.toFixed(0)} | ${r.load} |`,
    );
  }
  for (const n of options.ns) {
    const m = rows.find((r) => r.mode === "mcu" && r.n === n);
    const s = rows.find((r) => r.mode === "sfu" && r.n === n);
    if (m && s)
      console.log(
        `N=${n}: MCU receiver / SFU receiver = ${(m.cores / s.cores).toFixed(2)} (CPU), ${(m.downKbps / s.downKbps).toFixed(2)} (download)`,
      );
  }
  console.log(JSON.stringify({ options, rows }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
