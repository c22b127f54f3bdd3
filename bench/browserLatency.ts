/**
 * Glass-to-glass latency and time to the first mixed picture in real Chromium (issue 20, section 5).
 *
 *   npx tsx bench/browserLatency.ts [--seconds 20] [--warmup 6] [--joins 3] [--mode mcu|sfu] [--priority -10]
 *
 * One headless Chromium (Debian's, through playwright-core), the server as its own process on loopback. Page
 * "mcu" joins a room as a sender whose camera is a canvas carrying its drawing time as a block code
 * (bench/browserProbe.ts) and reads that code back from every picture of the mix it receives: with one sender
 * the mix is its own picture, full frame. Page "direct" sends the same kind of camera through a plain
 * browser-to-browser call inside the page and reads it back the same way, at the same time, so the
 * difference between the two is what the server adds, measured in one run on the same loaded machine.
 * Each picture gives three times on the wall clock: drawn, its last packet received, due on screen
 * (requestVideoFrameCallback); the receiver's getStats gives its jitter buffer.
 * Then `--joins` fresh pages join the running room one after another (a second participant arriving), and as
 * many join empty rooms (the mix starts cold), each reporting when each step of joining happened, from
 * navigation start to the first mixed picture presented.
 */
import { loadavg, setPriority } from "node:os";
import { installProbe, inboundStats, JOIN_STEPS, NAME_SHIM, startDirectCall, type ProbeReport } from "./browserProbe.js";
import { startServerProcess } from "./serverProcess.js";
import { BrowserPool, type TestPage } from "../test/helpers/chromiumPool.js";

interface Options {
  seconds: number;
  warmup: number;
  joins: number;
  mode: "mcu" | "sfu";
  /** Nice value for this process, and so for the server and Chromium it starts (below 0 needs root). */
  priority: number | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 20, warmup: 6, joins: 3, mode: "mcu", priority: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--mode" && (value === "mcu" || value === "sfu")) options.mode = value;
    else if (flag === "--priority" && Number.isInteger(Number(value)) && Math.abs(Number(value)) <= 19) options.priority = Number(value);
    else if (flag === "--seconds" || flag === "--warmup" || flag === "--joins") {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0 || n > 600) throw new Error(`${flag} wants a number of 0-600, not ${value}`);
      options[flag.slice(2) as "seconds" | "warmup" | "joins"] = n;
    } else throw new Error(`unknown option ${flag} (use --seconds, --warmup, --joins, --mode mcu|sfu, --priority -19..19)`);
  }
  return options;
}

async function probedPage(pool: BrowserPool, label: string, watch: string | null): Promise<TestPage> {
  const tp = await pool.openPage(pool.browsers[0], label);
  await tp.page.addInitScript(NAME_SHIM);
  await tp.page.addInitScript(installProbe, watch);
  return tp;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface PathFigures {
  frames: number;
  unreadable: number;
  repeated: number;
  fps: number;
  glassP50: number;
  glassP95: number;
  toReceiveP50: number;
  receiveToDisplayP50: number;
  jitterBufferMs: number;
  jitterTargetMs: number;
  decodeMs: number;
  processingMs: number;
  audioJitterBufferMs: number;
}

type Stats = Record<string, Record<string, number>>;

function figures(report: ProbeReport, before: Stats, after: Stats, seconds: number): PathFigures {
  const sorted = (xs: number[]) => xs.filter(Number.isFinite).sort((a, b) => a - b);
  const glass = sorted(report.frames.map((f) => f.displayAt - f.drawnAt));
  const toReceive = sorted(report.frames.map((f) => f.receivedAt - f.drawnAt));
  const toDisplay = sorted(report.frames.map((f) => f.displayAt - f.receivedAt));
  const d = (kind: string, key: string) => (after[kind]?.[key] ?? 0) - (before[kind]?.[key] ?? 0);
  const perEmitted = (kind: string, key: string) => (1000 * d(kind, key)) / Math.max(1, d(kind, "jitterBufferEmittedCount"));
  const perFrame = (key: string) => (1000 * d("video", key)) / Math.max(1, d("video", "framesDecoded"));
  return {
    frames: report.frames.length,
    unreadable: report.unreadable,
    repeated: report.repeated,
    fps: report.frames.length / seconds,
    glassP50: quantile(glass, 0.5),
    glassP95: quantile(glass, 0.95),
    toReceiveP50: quantile(toReceive, 0.5),
    receiveToDisplayP50: quantile(toDisplay, 0.5),
    jitterBufferMs: perEmitted("video", "jitterBufferDelay"),
    jitterTargetMs: perEmitted("video", "jitterBufferTargetDelay"),
    decodeMs: perFrame("totalDecodeTime"),
    processingMs: perFrame("totalProcessingDelay"),
    audioJitterBufferMs: perEmitted("audio", "jitterBufferDelay"),
  };
}

async function measureJoin(pool: BrowserPool, url: string, room: string, mode: string): Promise<Record<string, number>> {
  const tp = await probedPage(pool, "join", "video#mixed");
  try {
    await tp.page.goto(`${url}/?room=${room}&name=Joiner&mode=${mode}`);
    await tp.page.waitForFunction(() => window.__probe.marks.firstFramePresented !== undefined, null, { timeout: 30_000, polling: 50 });
    return await tp.page.evaluate(() => window.__probe.marks);
  } finally {
    await tp.context.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // On a machine shared with other work, a raised priority for what is measured (children inherit it)
  // makes the figures about the code rather than about the neighbours' load.
  if (options.priority !== undefined) setPriority(options.priority);
  const server = await startServerProcess();
  const pool = new BrowserPool();
  try {
    await pool.launch();
    const mcu = await probedPage(pool, "mcu", "video#mixed");
    const direct = await probedPage(pool, "direct", null);
    await mcu.page.goto(`${server.url}/?room=latency&name=Sender&mode=${options.mode}`);
    await direct.page.goto(`${server.url}/healthz`);
    await direct.page.evaluate(startDirectCall);
    await sleep(options.warmup * 1000);

    const pages = [mcu, direct];
    const before = await Promise.all(pages.map((tp) => tp.page.evaluate(inboundStats)));
    await Promise.all(
      pages.map((tp) =>
        tp.page.evaluate(() => {
          window.__probe.frames = [];
          window.__probe.unreadable = 0;
          window.__probe.repeated = 0;
        }),
      ),
    );
    await sleep(options.seconds * 1000);
    const reports = await Promise.all(pages.map((tp) => tp.page.evaluate(() => window.__probe)));
    const after = await Promise.all(pages.map((tp) => tp.page.evaluate(inboundStats)));
    const [m, dc] = pages.map((_, i) => figures(reports[i], before[i], after[i], options.seconds));
    const firstMarks = reports[0].marks;
    // Joins into the running room (a second participant arriving), then into empty rooms (the mix starts cold).
    const joins: Record<string, number>[] = [];
    for (let i = 0; i < options.joins; i++) joins.push(await measureJoin(pool, server.url, "latency", options.mode));
    await Promise.all(pages.map((tp) => tp.context.close()));
    for (let i = 0; i < options.joins; i++) joins.push(await measureJoin(pool, server.url, `join-${i}-${Date.now()}`, options.mode));

    const row = (name: string, f: PathFigures) =>
      `| ${name} | ${f.frames} (${f.repeated} repeated, ${f.unreadable} unreadable) | ${f.fps.toFixed(1)} | ${f.glassP50.toFixed(0)} / ${f.glassP95.toFixed(0)} | ${f.toReceiveP50.toFixed(0)} | ${f.receiveToDisplayP50.toFixed(0)} | ${f.jitterBufferMs.toFixed(0)} (target ${f.jitterTargetMs.toFixed(0)}) | ${f.decodeMs.toFixed(1)} | ${f.processingMs.toFixed(0)} | ${f.audioJitterBufferMs.toFixed(0)} |`;
    console.log(
      `\nglass to glass, ${options.seconds} s after ${options.warmup} s of warm-up; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    console.log(
      "| path | drawings seen | new drawings / s | drawn to due on screen p50 / p95 (ms) | drawn to received p50 | received to due p50 | video jitter buffer (ms/frame) | decode (ms) | processing (ms) | audio jitter buffer (ms) |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    console.log(row(options.mode, m));
    console.log(row("direct call", dc));
    for (const [name, i] of [
      [options.mode, 0],
      ["direct call", 1],
    ] as const) {
      const d = (key: string) => (after[i].sent?.[key] ?? 0) - (before[i].sent?.[key] ?? 0);
      const limited = Object.keys(after[i].sent ?? {})
        .filter((k) => k.startsWith("limited:") && k !== "limited:none" && d(k) > 0.5)
        .map((k) => `${k.slice(8)} ${d(k).toFixed(1)} s`);
      console.log(
        `${name}: the page sent ${(d("framesSent") / options.seconds).toFixed(1)} frames/s at ${after[i].sent?.frameWidth ?? "?"} px wide, ${((d("bytesSent") * 8) / options.seconds / 1000).toFixed(0)} kbit/s, encode ${((1000 * d("totalEncodeTime")) / Math.max(1, d("framesEncoded"))).toFixed(1)} ms/frame, pacer ${((1000 * d("totalPacketSendDelay")) / Math.max(1, d("packetsSent"))).toFixed(1)} ms/packet${limited.length ? `, limited by ${limited.join(", ")}` : ""}`,
      );
    }
    console.log(`added by the server: p50 ${(m.glassP50 - dc.glassP50).toFixed(0)} ms, p95 ${(m.glassP95 - dc.glassP95).toFixed(0)} ms`);

    console.log(
      `\njoining, ms from navigation start: the first page (into an empty room), ${options.joins} joins into its running room, ${options.joins} into empty rooms:`,
    );
    const all = [firstMarks, ...joins];
    const heading = (i: number) => (i === 0 ? "first" : i <= options.joins ? `running ${i}` : `empty ${i - options.joins}`);
    console.log(`| step | ${all.map((_, i) => heading(i)).join(" | ")} |`);
    console.log(`|---|${all.map(() => "---").join("|")}|`);
    for (const step of JOIN_STEPS)
      console.log(`| ${step} | ${all.map((m) => (m[step] === undefined ? "-" : m[step].toFixed(0))).join(" | ")} |`);
    console.log(JSON.stringify({ options, mcu: m, direct: dc, joins: all }));
  } finally {
    await pool.closeAll();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
