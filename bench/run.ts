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
import { parseOptions } from "./options.js";
import { availableParallelism } from "node:os";
import { capacityLine, impliedCapacity, markdownTable, writeResults, type Capacity } from "./report.js";

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const progress = process.stderr.isTTY ? (text: string) => process.stderr.write(`\r\x1b[K${text}`) : (text: string) => process.stderr.write(`${text}\n`);

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
progress("");

console.log(markdownTable(rows));
if (capacity) console.log(`\n${capacityLine(capacity)}`);
const path = writeResults(rows, capacity, options);
console.error(`\nwrote ${path}, latest.json and bench.svg in ${options.outDir}`);
process.exit(0);
