/**
 * `npm run bench`: what each mode costs the server and each participant, for N = 2..6 senders.
 * Usage: see `usage` in options.ts; docs/mcu-vs-sfu.md explains every column.
 *
 * Headless werift senders replay pre-encoded 640x480 30 fps VP8 clips (~800 kbit/s) plus Opus, so they
 * encode nothing while measuring; each clip's pixels carry its sender and frame number, so a decoding
 * receiver measures glass-to-glass latency. For each mode and N: a fresh server process (unless --url),
 * the rooms, a warm-up, a measured window and, for the MCU, the offline floor. With --capacity it then
 * adds 6-sender MCU rooms one at a time until one no longer holds 30 fps with under 1 % dropped.
 */
import { measure, type Row } from "./measureMode.js";
import { parseOptions, type BenchOptions } from "./options.js";
import { availableParallelism } from "node:os";
import { rungCostMarkdown, rungCosts } from "./rungCost.js";
import {
  capacityLine,
  impliedCapacity,
  markdownTable,
  RUNG_BOXES,
  rungCostTable,
  writeResults,
  type Capacity,
  type RungCost,
} from "./report.js";

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const progress = process.stderr.isTTY
  ? (text: string) => process.stderr.write(`\r\x1b[K${text}`)
  : (text: string) => process.stderr.write(`${text}\n`);

const rows: Row[] = [];
for (const mode of options.modes) for (const n of options.counts) rows.push(await measure(mode, n, options.rooms, options, progress));

let capacity: Capacity | undefined;
if (options.capacity) {
  const senders = Math.max(...options.counts);
  let held = 0;
  let oneRoom: Row | undefined;
  for (let rooms = 1; rooms <= options.maxRooms; rooms++) {
    const row = await measure("mcu", senders, rooms, { ...options, floor: false }, progress);
    rows.push(row);
    oneRoom ??= row;
    if (row.outputFps === null || row.outputFps < 29.7) break;
    held = rooms;
  }
  capacity = impliedCapacity(senders, held, availableParallelism(), oneRoom);
}
let rungs: RungCost | undefined;
if (options.rungs) {
  // Each rung's cost is a difference of two server CPU figures: measured between two baselines minutes
  // apart (their mean is the baseline; their spread says how noisy the machine was meanwhile).
  const senders = Math.max(...options.counts);
  const quick = { ...options, floor: false };
  // On a loaded machine a load-generator client may fail to connect in time: that row is measured again
  // (once) rather than losing the rows already measured. Each row is printed as it completes.
  const row = async (boxes: BenchOptions["viewerBoxes"]): Promise<Row> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await measure("mcu", senders, 1, { ...quick, viewerBoxes: boxes }, progress);
        console.error(
          `\nrungs: viewer boxes [${boxes.map((b) => `${b.width}x${b.height}`).join(", ")}] -> received [${r.renditionsReceived.join(", ")}], server ${r.serverCpuCores} cores, ${r.outputFps} fps`,
        );
        return r;
      } catch (err) {
        if (attempt >= 2) throw err;
        console.error(`\nrungs: a row failed (${String(err)}); measuring it again`);
      }
    }
  };
  const before = await row([]);
  const withRung: Row[] = [];
  for (const box of RUNG_BOXES) withRung.push(await row([box]));
  const after = await row([]);
  rungs = { senders, before, after, withRung };
}
progress("");

console.log(markdownTable(rows));
if (capacity) console.log(`\n${capacityLine(capacity)}`);
if (rungs) {
  console.log(`\n${rungCostTable(rungs)}`);
  console.log(`\n${rungCostMarkdown(rungs.senders, await rungCosts(rungs.senders, 300))}`);
}
const path = writeResults(rows, capacity, options, rungs);
console.error(`\nwrote ${path}, latest.json and bench.svg in ${options.outDir}`);
process.exit(0);
