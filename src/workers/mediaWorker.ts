import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { ProtocolError } from "../../protocol/protocolError.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { FromWorker, RoomOp, RoomOps, ToWorker, WireError, WorkerLoad, WorkerMetrics } from "./protocol.js";
import { RemoteProcess } from "./remoteProcess.js";

/** A room's messages from its worker (RemoteRoom). */
export type RoomMessage = Extract<FromWorker, { room: string }>;

export interface MediaWorkerEvents {
  /** The worker has exited (`expected`: the server asked it to). */
  exit: [];
  died: [code: number | null, signal: NodeJS.Signals | null];
}

/** How long a metrics scrape waits for a worker before leaving it out. */
const METRICS_TIMEOUT_MS = 1000;

/**
 * The worker's entry: the built server has it beside itself (dist/mediaWorker.js); from sources, the
 * TypeScript file is run through tsx, as the server itself is in tests.
 */
function workerEntry(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return { path: fileURLToPath(new URL("./workerMain.ts", here)), execArgv: ["--import", "tsx"] };
  return { path: fileURLToPath(new URL("./mediaWorker.js", here)), execArgv: [] };
}

function errorFrom(wire: WireError): Error {
  if (wire.code !== undefined) {
    const err = new ProtocolError(wire.code, wire.message);
    err.name = wire.name;
    return err;
  }
  if (wire.name === "RangeError") return new RangeError(wire.message);
  return new Error(wire.message);
}

/**
 * One media worker as the server sees it: the child process, its calls in flight, its rooms' messages
 * (to each room's proxy), its ffmpeg children (mirrored into the server's process group) and its load.
 * A worker that dies rejects every call in flight and emits `died`; one asked to stop emits only `exit`.
 */
export class MediaWorker extends EventEmitter<MediaWorkerEvents> {
  readonly pid: number;
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (value: never) => void; reject: (err: Error) => void }>();
  private readonly metricsWaiting = new Map<number, (metrics: WorkerMetrics) => void>();
  private readonly rooms = new Map<string, (message: RoomMessage) => void>();
  /** The worker's ffmpeg children, in a group of the server's. */
  private readonly children: ProcessGroup;
  private readonly remote = new Map<number, RemoteProcess>();
  private exited = false;
  private stopping = false;
  private isReady = false;
  readonly ready: Promise<void>;
  /** The last load it reported. */
  load: WorkerLoad = { rooms: 0, participants: 0, cpu: 0, eventLoopDelayMs: 0 };
  /** Rooms placed on it and not yet closed (the load report lags a placement). */
  placed = 0;

  constructor(
    readonly index: number,
    config: Config,
    processes: ProcessGroup,
    private readonly log: Logger,
  ) {
    super();
    const entry = workerEntry();
    // stderr through the server's own: its log lines go where the server's go (and a test holds them back alike).
    this.child = fork(entry.path, [], { serialization: "advanced", execArgv: entry.execArgv, stdio: ["ignore", "inherit", "pipe", "ipc"] });
    this.child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    this.pid = this.child.pid ?? -1;
    this.children = processes.child();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.kind === "hello") return this.post({ kind: "init", index, config });
        if (message.kind !== "ready") return;
        this.child.off("message", onMessage);
        this.isReady = true;
        resolve();
      };
      this.child.on("message", onMessage);
      this.child.once("exit", () => reject(new Error(`media worker ${index} exited before it was ready`)));
    });
    this.ready.catch(() => undefined);
    this.child.on("message", (message: FromWorker) => this.received(message));
    this.child.on("exit", (code, signal) => this.gone(code, signal));
    this.child.on("error", (err) => this.log.error("media worker error", { worker: index, error: err.message }));
  }

  get running(): boolean {
    return !this.exited;
  }

  /** It became ready once (whatever it is now). */
  get wasReady(): boolean {
    return this.isReady;
  }

  /** Ready for rooms: started, not stopping, not exited. */
  get usable(): boolean {
    return this.isReady && !this.stopping && !this.exited;
  }

  /** Routes a room's messages from the worker to its proxy. */
  attach(room: string, sink: (message: RoomMessage) => void): void {
    this.rooms.set(room, sink);
  }

  detach(room: string, sink: (message: RoomMessage) => void): void {
    if (this.rooms.get(room) === sink) this.rooms.delete(room);
  }

  call<K extends RoomOp>(room: string, op: K, args: RoomOps[K]["args"]): Promise<RoomOps[K]["result"]> {
    if (this.exited) return Promise.reject(new Error(`media worker ${this.index} has exited`));
    const seq = ++this.seq;
    return new Promise<RoomOps[K]["result"]>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (value: never) => void, reject });
      this.post({ kind: "call", seq, room, op, args } as ToWorker);
    });
  }

  /** Its media counters, or nothing if it does not answer in time. */
  metrics(): Promise<WorkerMetrics> {
    if (this.exited) return Promise.resolve([]);
    const seq = ++this.seq;
    return new Promise<WorkerMetrics>((resolve) => {
      const timer = setTimeout(() => {
        this.metricsWaiting.delete(seq);
        resolve([]);
      }, METRICS_TIMEOUT_MS);
      this.metricsWaiting.set(seq, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      this.post({ kind: "metrics", seq });
    });
  }

  /** Asks it to exit (its rooms are closed by then); SIGKILL if it has not within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.once("exit", resolve));
    this.post({ kind: "exit" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL, resolved once reaped. */
  async kill(): Promise<void> {
    this.stopping = true;
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.once("exit", resolve));
    this.child.kill("SIGKILL");
    await exited;
  }

  private post(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  private received(message: FromWorker): void {
    switch (message.kind) {
      case "reply": {
        const call = this.pending.get(message.seq);
        this.pending.delete(message.seq);
        if (!call) return;
        if (message.ok) call.resolve(message.value as never);
        else call.reject(errorFrom(message.error));
        return;
      }
      case "metrics":
        this.metricsWaiting.get(message.seq)?.(message.metrics);
        this.metricsWaiting.delete(message.seq);
        return;
      case "load":
        this.load = message.load;
        return;
      case "process":
        return this.processReported(message.pid, message.label, message.running);
      case "hello":
      case "ready":
        return;
      default:
        this.rooms.get(message.room)?.(message);
    }
  }

  private processReported(pid: number, label: string, running: boolean): void {
    if (running) {
      const p = new RemoteProcess(pid, label);
      this.remote.set(pid, p);
      this.children.add(p);
      return;
    }
    this.remote.get(pid)?.markExited();
    this.remote.delete(pid);
  }

  private gone(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    const unexpected = !this.stopping;
    for (const call of this.pending.values()) call.reject(new Error(`the room's media worker ${this.index} died`));
    this.pending.clear();
    for (const resolve of this.metricsWaiting.values()) resolve([]);
    this.metricsWaiting.clear();
    // Its ffmpeg children outlive it (orphans): they are this server's to end.
    const orphans = [...this.remote.values()];
    this.remote.clear();
    void Promise.all(orphans.map((p) => p.kill())).then(() => this.children.close());
    if (unexpected) {
      this.log.error("media worker died", { worker: this.index, pid: this.pid, code, signal, rooms: [...this.rooms.keys()] });
      this.emit("died", code, signal);
    } else this.log.info("media worker exited", { worker: this.index, code, signal });
    this.emit("exit");
  }
}
