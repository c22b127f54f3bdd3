/**
 * `npm run soak -- --minutes 30`: the soak test's churn for as long as asked, against the server in a
 * process of its own, with the server's RSS, fds, UDP sockets and children every minute, and at the end
 * the RSS growth since the warm-up minute and whether everything came back to the idle baseline.
 * Exit status: 0 clean, 1 a problem was found, 2 bad arguments, 130 interrupted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { warmUpBaseline } from "./baseline.js";
import { Churn } from "./churn/driver.js";
import { defaultRooms, type ChurnPlan } from "./churn/plan.js";
import { describeReport, type ChurnReport } from "./churn/report.js";
import { ControlApi } from "./controlApi.js";
import { MinuteAccumulator, minuteHeader, minuteLine, percentGrowth, type MinuteRow } from "./minuteTable.js";
import { readHeapStats } from "./heapStats.js";
import { ServerMonitor } from "./monitor.js";
import { OptionsError, parseSoakOptions, usage, type SoakOptions } from "./options.js";
import { describeSample } from "./procProbe.js";
import { killLeftovers, startSoakServer } from "./serverProcess.js";
import { soakServerEnv } from "./serverEnv.js";
import { settle } from "./settle.js";

const TOKEN = "soak-runner-token";
const SETTLE_MS = 60_000;
const SAMPLE_MS = 5000;
const MiB = 2 ** 20;

const say = (line: string) => console.log(line);

function options(): SoakOptions | undefined {
  try {
    return parseSoakOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    if (err.message) console.error(`npm run soak: ${err.message}`);
    console.error(`usage: ${usage}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const opts = options();
  if (!opts) return 2;
  const dir = mkdtempSync(join(tmpdir(), "tessera-soak-"));
  const logFile = join(dir, "server.log");
  const server = await startSoakServer({ token: TOKEN, env: soakServerEnv(join(dir, "recordings")), logFile });
  const monitor = new ServerMonitor(server);
  monitor.start();
  const api = new ControlApi(server.url, TOKEN);
  const churns: Churn[] = [];
  let interrupted = false;
  // First signal: stop starting cycles and finish; a second: close every client now.
  const onSignal = () => {
    if (interrupted) void Promise.all(churns.map((c) => c.abort()));
    interrupted = true;
    churns.forEach((c) => c.stop());
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let clean = false;
  try {
    const rooms = defaultRooms(opts.rooms, opts.sfu);
    const plan: ChurnPlan = {
      url: server.url,
      token: TOKEN,
      rooms,
      maxAlive: opts.clients,
      stayMs: [300, 7000],
      mediaCheckMs: 3500,
      seed: opts.seed,
      decodeVideo: true,
      ...(opts.kinds ? { kinds: opts.kinds } : {}),
      log: (line) => say(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
    };
    say(
      `soak: ${opts.minutes} min of churn in ${rooms.map((r) => `${r.name} (${r.mode}, ${r.slots})`).join(", ")}; at most ${opts.clients} alive; seed ${opts.seed}${opts.kinds ? `; only ${opts.kinds.join(", ")} cycles` : ""}`,
    );
    say(`server pid ${server.pid} at ${server.url}; its log: ${logFile}`);

    const { warmUp, idle } = await warmUpBaseline(plan, server.pid, api, SETTLE_MS, (c) => churns.push(c));
    if (warmUp.failures.length || !idle.ok) {
      say(`warm-up failed:\n${describeReport(warmUp)}${idle.ok ? "" : `\nnot idle after it: waiting for ${idle.waitingFor}`}`);
      return 1;
    }
    say(`idle baseline after warm-up: ${describeSample(idle.sample)}`);

    const churn = new Churn({
      ...plan,
      durationMs: opts.minutes * 60_000,
      recording: { room: rooms[0].name, startAfterMs: 20_000, forMs: 30_000, everyMs: 120_000 },
    });
    churns.push(churn);
    if (interrupted) churn.stop();
    const { report, rows } = await withMinuteTable(churn, monitor, server.url);
    say(describeReport(report));

    const after = await settle(server.pid, api, SETTLE_MS, idle.sample);
    const problems = [...monitor.healthFailures, ...(server.exit ? [`the server exited: ${JSON.stringify(server.exit)}`] : [])];
    if (report.failures.length) problems.push(`${report.failures.length} cycle failures (above)`);
    if (!after.ok)
      problems.push(`not back to the idle baseline ${SETTLE_MS / 1000} s after the last participant left: waiting for ${after.waitingFor}`);
    summarise(rows, idle.sample.rssBytes, after.sample.rssBytes, monitor);
    say(`after everyone left: ${describeSample(after.sample)} (idle baseline: ${describeSample(idle.sample)})`);
    if (server.problems.length)
      say(
        `server warnings and errors (${server.problems.length}${server.problems.length >= 200 ? "+" : ""}), first ones:\n  ${server.problems.slice(0, 10).join("\n  ")}`,
      );
    say(problems.length ? `PROBLEMS:\n  ${problems.join("\n  ")}` : "clean: the server stayed up and came back to its idle baseline");
    clean = problems.length === 0;
    return interrupted ? 130 : clean ? 0 : 1;
  } finally {
    await Promise.all(churns.map((c) => c.abort()));
    monitor.stop();
    const exit = await server.stop(15_000);
    const orphans = killLeftovers(monitor.leftoverChildren());
    say(`server stopped: ${JSON.stringify(exit)}${orphans ? `; killed ${orphans} orphaned ffmpeg children` : ""}`);
    // Keep the server log when something went wrong; it is the evidence.
    if (clean) rmSync(dir, { recursive: true, force: true });
    else say(`kept ${dir} (server.log)`);
  }
}

/** Runs the churn to its end, printing a row per minute of the server's figures. */
async function withMinuteTable(churn: Churn, monitor: ServerMonitor, url: string): Promise<{ report: ChurnReport; rows: MinuteRow[] }> {
  const rows: MinuteRow[] = [];
  const minutes = new MinuteAccumulator();
  const started = performance.now();
  say(minuteHeader);
  const sampler = setInterval(() => {
    const s = monitor.sample();
    if (s) minutes.add(s);
  }, SAMPLE_MS);
  let printing: Promise<void> = Promise.resolve();
  const ticker = setInterval(() => {
    const minute = Math.round((performance.now() - started) / 60_000);
    const progress = churn.progress;
    printing = printing
      .then(() => readHeapStats(url))
      .then((heap) => {
        const row = minutes.close(minute, progress, heap);
        if (row) rows.push(row);
        say(row ? minuteLine(row) + (row.minute === 1 ? "   <- baseline (warm-up minute)" : "") : " (no samples: is the server gone?)");
      });
  }, 60_000);
  try {
    const report = await churn.run();
    await printing;
    // The cycles under way when time ran out finish after the last full minute: show them too.
    const tail = minutes.close(Number(((performance.now() - started) / 60_000).toFixed(1)), churn.progress);
    if (tail && tail.minute - (rows.at(-1)?.minute ?? 0) >= 0.2) say(`${minuteLine(tail)}   (wind-down)`);
    return { report, rows };
  } finally {
    clearInterval(sampler);
    clearInterval(ticker);
  }
}

function summarise(rows: readonly MinuteRow[], idleBefore: number, idleAfter: number, monitor: ServerMonitor): void {
  const first = rows[0];
  const last = rows.at(-1);
  if (first && last && last !== first) {
    say(
      `RSS growth under churn: ${percentGrowth(first.meanRssBytes, last.meanRssBytes)} (minute-mean ${(first.meanRssBytes / MiB).toFixed(1)} MiB at minute ${first.minute} -> ${(last.meanRssBytes / MiB).toFixed(1)} MiB at minute ${last.minute})`,
    );
    if (first.heap && last.heap) {
      say(
        `V8 heap used: ${percentGrowth(first.heap.heapUsedBytes, last.heap.heapUsedBytes)} (${(first.heap.heapUsedBytes / MiB).toFixed(1)} -> ${(last.heap.heapUsedBytes / MiB).toFixed(1)} MiB); external: ${(first.heap.externalBytes / MiB).toFixed(1)} -> ${(last.heap.externalBytes / MiB).toFixed(1)} MiB`,
      );
    }
  } else {
    say("RSS growth under churn: not measured (fewer than two full minutes)");
  }
  say(
    `idle RSS: ${(idleBefore / MiB).toFixed(1)} MiB after the warm-up -> ${(idleAfter / MiB).toFixed(1)} MiB after the churn (${percentGrowth(idleBefore, idleAfter)})`,
  );
  say(
    `peaks: ${(monitor.peak.rssBytes / MiB).toFixed(1)} MiB RSS, ${monitor.peak.fds} fds, ${monitor.peak.udpSockets} UDP sockets, ${monitor.peak.ffmpegChildren} ffmpeg children; slowest /healthz ${monitor.slowestHealthMs.toFixed(0)} ms`,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
