import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart, svgDocument } from "./chart.js";
import type { Row } from "./measureMode.js";
import type { BenchOptions, Mode } from "./options.js";

const show = (v: number | null) => (v === null ? "n/a" : String(v));

export function markdownTable(rows: readonly Row[]): string {
  return [
    "| mode | N | rooms | server CPU (cores) | main thread / room (cores) | media workers / room (cores) | load generator CPU (cores) | floor (cores) | CPU / floor | peak RSS (MB) | video streams down / client | down kbit/s / client | up kbit/s / client | output fps | dropped % | latency p50 (ms) | latency p95 (ms) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.senders} | ${r.rooms} | ${show(r.serverCpuCores)} | ${show(r.mainThreadCoresPerRoom)} | ${show(r.workerCoresPerRoom)} | ${r.loadGeneratorCpuCores} | ${show(r.floorCores)} | ${show(r.floorRatio)} | ${show(r.peakRssMB)} | ${r.downStreams} | ${r.downKbps} | ${r.upKbps} | ${show(r.outputFps)} | ${show(r.droppedPercent)} | ${show(r.latencyP50Ms)} | ${show(r.latencyP95Ms)} |`,
    ),
  ].join("\n");
}

/** Boxes (CSS pixels, pixel ratio 1) whose viewer is sent each rung below the main one (the default ladder). */
export const RUNG_BOXES = [
  { width: 640, height: 360 },
  { width: 320, height: 180 },
  { width: 540, height: 960 },
  { width: 360, height: 640 },
] as const;

/** --rungs: one MCU room of `senders` without an extra rung before and after, and with each rung added. */
export interface RungCost {
  readonly senders: number;
  readonly before: Row;
  readonly after: Row;
  readonly withRung: readonly Row[];
}

/** Each rung's server CPU over the mean of the two baselines, and as a share of it. */
export function rungCostTable(r: RungCost): string {
  const b = r.before.serverCpuCores;
  const a = r.after.serverCpuCores;
  if (b === null || a === null) return "rung cost: n/a (the server's CPU is not readable with --url)";
  const base = (a + b) / 2;
  return [
    `Extra rungs, MCU N=${r.senders}: baseline ${base.toFixed(3)} cores (before ${b}, after ${a})`,
    "| viewer box | rendition received | server CPU (cores) | rung cost (cores) | rung cost / baseline |",
    "|---|---|---|---|---|",
    ...r.withRung.map((row) => {
      const cpu = row.serverCpuCores;
      const cost = cpu === null ? null : cpu - base;
      return `| ${row.viewerBoxes.join(", ")} | ${row.renditionsReceived.join(", ")} | ${show(cpu)} | ${cost === null ? "n/a" : cost.toFixed(3)} | ${cost === null ? "n/a" : (cost / base).toFixed(3)} |`;
    }),
  ].join("\n");
}

export interface Capacity {
  readonly senders: number;
  /** The most rooms that all held 30 fps with under 1 % dropped; 0 if even one did not. */
  readonly roomsHeld: number;
  /** The machine's cores (os.availableParallelism()). */
  readonly cores: number;
  /** One room's server CPU and load-generator CPU, from the capacity run's one-room step. */
  readonly serverCoresPerRoom: number | null;
  readonly loadGeneratorCoresPerRoom: number;
  /** Rooms the per-room server cost implies the cores hold with the server alone on the machine. */
  readonly roomsImpliedServerAlone: number | null;
  /** The same with this load generator sharing the machine, as it did while the rooms were held. */
  readonly roomsImpliedSharing: number | null;
}

/** What one room's measured cost implies for `cores`, beside what was held. */
export function impliedCapacity(senders: number, roomsHeld: number, cores: number, oneRoom: Row | undefined): Capacity {
  const server = oneRoom?.serverCpuCores ?? null;
  const load = oneRoom?.loadGeneratorCpuCores ?? 0;
  return {
    senders,
    roomsHeld,
    cores,
    serverCoresPerRoom: server,
    loadGeneratorCoresPerRoom: load,
    roomsImpliedServerAlone: server ? Math.floor(cores / server) : null,
    roomsImpliedSharing: server ? Math.floor(cores / (server + load)) : null,
  };
}

export function capacityLine(c: Capacity): string {
  const held = `Capacity: ${c.roomsHeld} simultaneous ${c.senders}-sender MCU room(s) held 30 fps with under 1 % dropped frames.`;
  if (c.serverCoresPerRoom === null) return held;
  return `${held}\nOne room cost the server ${c.serverCoresPerRoom} cores and the load generator ${c.loadGeneratorCoresPerRoom}: on ${c.cores} cores that implies ${c.roomsImpliedServerAlone} room(s) with the server alone on the machine, ${c.roomsImpliedSharing} sharing it with this load generator.`;
}

/** Writes bench-<time>.json, latest.json and bench.svg into `dir`; returns the JSON file's path. */
export function writeResults(rows: readonly Row[], capacity: Capacity | undefined, options: BenchOptions, rungs?: RungCost): string {
  mkdirSync(options.outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const { modes, counts, windowSeconds, warmupSeconds, rooms, codec, talkers, h264Receivers } = options;
  const json = JSON.stringify(
    {
      at: new Date().toISOString(),
      options: { modes, counts, windowSeconds, warmupSeconds, rooms, codec, talkers, h264Receivers, viewerBoxes: options.viewerBoxes },
      capacity,
      rungs,
      rows,
    },
    null,
    2,
  );
  const path = join(options.outDir, `bench-${stamp}.json`);
  writeFileSync(path, json);
  writeFileSync(join(options.outDir, "latest.json"), json);
  writeFileSync(
    join(options.outDir, "bench.svg"),
    chart(
      rows.filter((r) => r.rooms === options.rooms),
      modes,
    ),
  );
  return path;
}

const colours: Record<Mode, string> = { mcu: "#c0392b", sfu: "#2471a3", mesh: "#7d7d7d" };

function chart(rows: readonly Row[], modes: readonly Mode[]): string {
  const seriesOf = (pick: (r: Row) => number | null, only: Mode[]) =>
    only
      .filter((m) => modes.includes(m))
      .map((m) => ({
        label: m.toUpperCase(),
        colour: colours[m],
        points: rows.filter((r) => r.mode === m && pick(r) !== null).map((r) => ({ x: r.senders, y: pick(r)! })),
      }));
  return svgDocument([
    lineChart(
      "Server CPU",
      "senders (N)",
      "cores",
      seriesOf((r) => r.serverCpuCores, ["mcu", "sfu"]),
    ),
    lineChart(
      "Download per client",
      "senders (N)",
      "kbit/s",
      seriesOf((r) => r.downKbps, ["mcu", "sfu", "mesh"]),
    ),
    lineChart(
      "Video streams per client",
      "senders (N)",
      "streams",
      seriesOf((r) => r.downStreams, ["mcu", "sfu", "mesh"]),
    ),
    lineChart(
      "Glass-to-glass latency p50",
      "senders (N)",
      "ms",
      seriesOf((r) => r.latencyP50Ms, ["mcu", "sfu"]),
    ),
  ]);
}
