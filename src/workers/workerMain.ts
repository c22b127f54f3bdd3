// A media worker: a child process the server forks (MediaWorkerPool) to run its rooms' media. It hosts
// McuRoom and SfuRoom objects exactly as the server does without workers, and talks to the server only
// through the messages of ./protocol.ts on the IPC channel.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Registry } from "prom-client";
import { ProcessGroup, type TrackedProcess } from "../../mixer/ffmpeg/processGroup.js";
import { RecordingLinks } from "../access/recordingLinks.js";
import { createLogger, type Logger } from "../log.js";
import { MediaMetrics } from "../metrics/mediaMetrics.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { recordingLocator } from "../webhooks/serverWebhooks.js";
import type { FromWorker, ToWorker, WireError } from "./protocol.js";
import { RoomHost } from "./roomHost.js";
import { protocolCodeOf } from "../../protocol/protocolError.js";
import { ProcessFaults } from "../processFaults.js";

const LOAD_INTERVAL_MS = 1000;

/** A room's process group that tells the server of each child as it starts and as it is reaped. */
class ReportingGroup extends ProcessGroup {
  constructor(
    parent: ProcessGroup,
    private readonly post: (message: FromWorker) => void,
  ) {
    super(parent);
  }

  override add(process: TrackedProcess): void {
    super.add(process);
    this.post({ kind: "process", pid: process.pid, label: process.label, running: true });
    process.once("exit", () => this.post({ kind: "process", pid: process.pid, label: process.label, running: false }));
  }
}

function post(message: FromWorker): void {
  // The server is gone (it died, or closed the channel): nobody to tell, and the disconnect handler exits.
  if (process.connected) process.send?.(message);
}

function wireError(err: unknown): WireError {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = protocolCodeOf(err);
  return { name: error.name, message: error.message, ...(code !== undefined ? { code } : {}) };
}

/** Reports the worker's CPU and event-loop delay every second. */
function reportLoad(host: RoomHost): NodeJS.Timeout {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const cpu = process.cpuUsage();
    const now = performance.now();
    const used = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 / (now - lastAt);
    lastCpu = cpu;
    lastAt = now;
    const eventLoopDelayMs = delay.percentile(99) / 1e6;
    delay.reset();
    post({ kind: "load", load: { rooms: host.roomCount, participants: host.participantCount, cpu: used, eventLoopDelayMs } });
  }, LOAD_INTERVAL_MS);
  timer.unref();
  return timer;
}

function start(index: number, config: Extract<ToWorker, { kind: "init" }>["config"]): void {
  const log: Logger = createLogger({ base: { worker: index } });
  const processes = new ProcessGroup();
  const recordings = new RecordingStore(config.recordingsDir, { minFreeBytes: config.recordingsMinFreeBytes, log });
  const metrics = new MediaMetrics();
  const registry = new Registry();
  metrics.register(registry);
  // As in the server: a stray Error is logged, counted (summed into the server's /metrics) and survived.
  const faults = new ProcessFaults(log);
  faults.register(registry);
  const links = new RecordingLinks(config.linkSecret, config.recordingLinkTtlS);
  const host = new RoomHost({
    config,
    log,
    processes,
    roomProcesses: (parent) => new ReportingGroup(parent, post),
    recordings,
    metrics,
    locate: recordingLocator(config, links),
    post,
  });
  const load = reportLoad(host);
  let exiting = false;
  const exit = async (why: string) => {
    if (exiting) return;
    exiting = true;
    clearInterval(load);
    log.info("media worker stopping", { why });
    await host.closeAll("server-shutdown");
    await recordings.settled();
    await processes.killAll();
    process.exit(exitCode);
  };
  let exitCode = 0;
  faults.install(process, (why) => {
    exitCode = 1;
    void exit(why);
  });
  process.on("message", (message: ToWorker) => {
    if (message.kind === "exit") return void exit("the server asked");
    if (message.kind === "metrics") {
      void registry.getMetricsAsJSON().then((values) => post({ kind: "metrics", seq: message.seq, metrics: values }));
      return;
    }
    if (message.kind !== "call") return;
    host.call(message).then(
      (value) => post({ kind: "reply", seq: message.seq, ok: true, value }),
      (err: unknown) => post({ kind: "reply", seq: message.seq, ok: false, error: wireError(err) }),
    );
  });
  // The server died: the worker's rooms have nobody to talk to; recordings are finished and it exits.
  process.on("disconnect", () => void exit("the server disconnected"));
  faults.started();
  log.info("media worker started", { pid: process.pid });
  post({ kind: "ready" });
}

process.once("message", (message: ToWorker) => {
  if (message.kind === "init") start(message.index, message.config);
});
// Only now: a message sent before this process listens would be lost.
post({ kind: "hello" });
