/**
 * `npm run bench`: what each mode costs the server and each participant, for N = 2..6 senders.
 *
 *   npm run bench -- [--modes mcu,sfu,mesh] [--n 2,3,4,5,6] [--window 10] [--warmup 4] [--rooms 1] [--url URL]
 *
 * Headless werift senders replay a pre-encoded 640x480 30 fps VP8 clip (~800 kbit/s) plus Opus, so they
 * encode nothing while measuring. For each mode and N: a fresh server process (unless --url), `rooms`
 * rooms of N senders, a warm-up, then a measured window. Results: a markdown table on stdout, JSON and an
 * SVG chart under bench/results/.
 *
 * Not measured yet (issue 3): glass-to-glass latency and the offline-floor ratio. Mesh media never touches
 * the server: its per-browser streams and kbit/s are the clip's rate times N-1; the server cost is signaling.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import { testPatternClip } from "../test/helpers/fixtures.js";
import { TestClient } from "../test/helpers/testClient.js";
import { lineChart, svgDocument } from "./chart.js";
import { coresBetween, sampleTree } from "./procStats.js";
import { startServerProcess } from "./serverProcess.js";

type Mode = "mcu" | "sfu" | "mesh";

interface Row {
  mode: Mode;
  senders: number;
  rooms: number;
  serverCpuCores: number | null;
  peakRssMB: number | null;
  downStreams: number;
  downKbps: number;
  upKbps: number;
  outputFps: number | null;
  droppedPercent: number | null;
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const modes = option("modes", "mcu,sfu,mesh").split(",") as Mode[];
const counts = option("n", "2,3,4,5,6").split(",").map(Number);
const windowSeconds = Number(option("window", "10"));
const warmupSeconds = Number(option("warmup", "4"));
const roomCount = Number(option("rooms", "1"));
const externalUrl = process.argv.includes("--url") ? option("url", "") : undefined;
for (const m of modes) if (!["mcu", "sfu", "mesh"].includes(m)) throw new Error(`--modes: unknown mode "${m}"`);
for (const n of counts) if (!(n >= 1 && n <= 6)) throw new Error(`--n: ${n} is not between 1 and 6`);

const progress = (text: string) => process.stderr.write(`\r\x1b[K${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh server per measurement, or the one at --url (whose CPU this process cannot read). */
async function server(): Promise<{ url: string; pid?: number; stop(): Promise<void> }> {
  if (externalUrl) return { url: externalUrl, stop: async () => undefined };
  return startServerProcess();
}

/** Mesh: members join for the roster and signaling; their media would flow browser to browser. */
async function meshMember(url: string, room: string, name: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  ws.send(JSON.stringify({ type: "join", room, name, mode: "mesh" }));
  return ws;
}

const clip = testPatternClip();
const clipKbps = (clip.frames.reduce((n, f) => n + f.data.length, 0) * 8) / (clip.frames.length / 30) / 1000 + 64; // + Opus

async function measure(mode: Mode, senders: number): Promise<Row> {
  const target = await server();
  const clients: TestClient[] = [];
  const sockets: WebSocket[] = [];
  const viewers: TestClient[] = [];
  try {
    for (let r = 0; r < roomCount; r++) {
      const room = `bench-${mode}-${senders}-${r}`;
      for (let i = 0; i < senders; i++) {
        progress(`${mode} N=${senders}: joining room ${r + 1}/${roomCount}, sender ${i + 1}/${senders}`);
        if (mode === "mesh") {
          sockets.push(await meshMember(target.url, room, `S${i + 1}`));
          continue;
        }
        const c = new TestClient({ url: target.url, room, name: `S${i + 1}`, clip, toneHz: 300 + 100 * i, decode: false, mode });
        await c.connect();
        clients.push(c);
      }
      if (mode === "mcu") {
        const v = new TestClient({ url: target.url, room, name: "Counter", role: "viewer", decode: false, mode });
        await v.connect();
        viewers.push(v);
      }
    }
    progress(`${mode} N=${senders}: warming up ${warmupSeconds} s`);
    await sleep(warmupSeconds * 1000);
    const pid = target.pid;
    const start = pid ? sampleTree(pid) : undefined;
    const bytes0 = clients.map((c) => [c.bytesReceived, c.bytesSent]);
    const frames0 = viewers.map((v) => v.frameArrivals.length);
    const t0 = performance.now();
    let peakRss = 0;
    while (performance.now() - t0 < windowSeconds * 1000) {
      if (pid) peakRss = Math.max(peakRss, sampleTree(pid).rssBytes);
      progress(`${mode} N=${senders}: measuring ${((performance.now() - t0) / 1000).toFixed(0)}/${windowSeconds} s`);
      await sleep(500);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const end = pid ? sampleTree(pid) : undefined;
    const perClient = (k: 0 | 1) =>
      clients.length ? clients.reduce((sum, c, i) => sum + ((k === 0 ? c.bytesReceived : c.bytesSent) - bytes0[i][k]), 0) / clients.length / elapsed * 8 / 1000 : 0;
    const fps = viewers.length ? viewers.reduce((s, v, i) => s + (v.frameArrivals.length - frames0[i]), 0) / viewers.length / elapsed : null;
    return {
      mode,
      senders,
      rooms: roomCount,
      serverCpuCores: start && end ? Number(coresBetween(start, end, elapsed).toFixed(3)) : null,
      peakRssMB: pid ? Math.round(peakRss / 1e6) : null,
      downStreams: mode === "mcu" ? 1 : senders - 1,
      downKbps: Math.round(mode === "mesh" ? clipKbps * (senders - 1) : perClient(0)),
      upKbps: Math.round(mode === "mesh" ? clipKbps * (senders - 1) : perClient(1)),
      outputFps: fps === null ? null : Number(fps.toFixed(2)),
      droppedPercent: fps === null ? null : Number(Math.max(0, (1 - fps / 30) * 100).toFixed(1)),
    };
  } finally {
    await Promise.all([...clients, ...viewers].map((c) => c.close()));
    sockets.forEach((s) => s.close());
    await target.stop();
  }
}

const rows: Row[] = [];
for (const mode of modes) for (const n of counts) rows.push(await measure(mode, n));
progress("");

const show = (v: number | null) => (v === null ? "n/a" : String(v));
const table = [
  "| mode | N | rooms | server CPU (cores) | peak RSS (MB) | video streams down / client | down kbit/s / client | up kbit/s / client | output fps | dropped % |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.mode} | ${r.senders} | ${r.rooms} | ${show(r.serverCpuCores)} | ${show(r.peakRssMB)} | ${r.downStreams} | ${r.downKbps} | ${r.upKbps} | ${show(r.outputFps)} | ${show(r.droppedPercent)} |`),
].join("\n");
console.log(table);

mkdirSync("bench/results", { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const json = JSON.stringify({ at: new Date().toISOString(), windowSeconds, warmupSeconds, rooms: roomCount, clipKbps: Math.round(clipKbps), rows }, null, 2);
writeFileSync(`bench/results/bench-${stamp}.json`, json);
writeFileSync("bench/results/latest.json", json);
const colours: Record<Mode, string> = { mcu: "#c0392b", sfu: "#2471a3", mesh: "#7d7d7d" };
const seriesOf = (pick: (r: Row) => number | null, only: Mode[]) =>
  only.filter((m) => modes.includes(m)).map((m) => ({
    label: m.toUpperCase(),
    colour: colours[m],
    points: rows.filter((r) => r.mode === m && pick(r) !== null).map((r) => ({ x: r.senders, y: pick(r)! })),
  }));
writeFileSync(
  "bench/results/bench.svg",
  svgDocument([
    lineChart("Server CPU", "senders (N)", "cores", seriesOf((r) => r.serverCpuCores, ["mcu", "sfu"])),
    lineChart("Download per client", "senders (N)", "kbit/s", seriesOf((r) => r.downKbps, ["mcu", "sfu", "mesh"])),
    lineChart("Video streams per client", "senders (N)", "streams", seriesOf((r) => r.downStreams, ["mcu", "sfu", "mesh"])),
  ]),
);
console.error(`\nwrote bench/results/bench-${stamp}.json, bench/results/latest.json, bench/results/bench.svg`);
process.exit(0);
