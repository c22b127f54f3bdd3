import { Counter, Gauge, type Registry } from "prom-client";
import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";
import { MediaWorker } from "./mediaWorker.js";
import type { WorkerMetrics, WorkerRoomMode } from "./protocol.js";
import { RemoteRoom, type LostRecording } from "./remoteRoom.js";

export interface MediaWorkerPoolOptions {
  /** How many workers (MEDIA_WORKERS, at least 1 here). */
  readonly size: number;
  readonly config: Config;
  readonly log: Logger;
  /** The server's process group: the workers and their ffmpeg children are counted (and killed) in it. */
  readonly processes: ProcessGroup;
  readonly recordings: RecordingStore;
  readonly events?: RoomEvents;
}

/** Before forking again in place of a worker that died before it was ready. */
const RESTART_PAUSE_MS = 2000;

/** A room is lost with its worker; its recording continues if it is opened again within this long. */
const LOST_RECORDING_KEPT_MS = 5 * 60_000;

/**
 * The server's media workers (MEDIA_WORKERS child processes). Each new MCU or SFU room goes to the
 * least-loaded live worker (fewest rooms, then participants, then CPU); a worker that dies takes only its
 * own rooms (their participants are told `room-failed` and join again, here, on a live worker) and is
 * replaced. Created with `start()`, ended with `stop()` once the rooms are closed.
 */
export class MediaWorkerPool {
  private readonly workers: (MediaWorker | undefined)[];
  private readonly rooms = new Map<MediaWorker, Set<RemoteRoom>>();
  private readonly lostRecordings = new Map<string, { recording: LostRecording; at: number }>();
  private stopping = false;
  private deaths = 0;
  private roomsMade = 0;

  constructor(private readonly options: MediaWorkerPoolOptions) {
    this.workers = new Array<MediaWorker | undefined>(options.size).fill(undefined);
  }

  /** Forks every worker; resolves once all are ready. */
  async start(): Promise<void> {
    await Promise.all(this.workers.map((_, i) => this.fork(i).ready));
  }

  /** Live workers, by index. */
  get live(): readonly MediaWorker[] {
    return this.workers.filter((w): w is MediaWorker => w !== undefined && w.usable);
  }

  /** The PIDs of the workers running now (their CPU is the node's). */
  get pids(): number[] {
    return this.workers.flatMap((w) => (w?.running ? [w.pid] : []));
  }

  /** The worker deaths since the start. */
  get deathCount(): number {
    return this.deaths;
  }

  /** A new room on the least-loaded live worker; undefined when none is ready (the registry then opens it in process). */
  createRoom(name: string, mode: WorkerRoomMode): RemoteRoom | undefined {
    if (this.stopping) return undefined;
    const worker = this.leastLoaded();
    if (!worker) return undefined;
    const lost = this.lostRecordings.get(name);
    this.lostRecordings.delete(name);
    const continueRecording = lost && performance.now() - lost.at < LOST_RECORDING_KEPT_MS ? lost.recording : undefined;
    const room = new RemoteRoom({
      name,
      key: `${name}#${++this.roomsMade}`,
      mode,
      config: this.options.config,
      log: this.options.log.child({ room: name, mode, worker: worker.index }),
      worker,
      recordings: this.options.recordings,
      events: this.options.events,
      continueRecording,
      onLost: (recording) => {
        if (recording) this.lostRecordings.set(name, { recording, at: performance.now() });
      },
    });
    const set = this.rooms.get(worker) ?? new Set<RemoteRoom>();
    this.rooms.set(worker, set);
    set.add(room);
    room.once("closed", () => set.delete(room));
    return room;
  }

  /** Each live worker's media counters, for /metrics to sum with the server's own. */
  metrics(): Promise<WorkerMetrics[]> {
    return Promise.all(this.live.map((w) => w.metrics()));
  }

  /** Per-worker gauges (rooms, participants, CPU, event-loop delay) and the count of deaths. */
  registerMetrics(registry: Registry): void {
    const perWorker = (name: string, help: string, value: (w: MediaWorker) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["worker"],
        registers: [registry],
        collect: function (this: Gauge<"worker">) {
          this.reset();
          for (const w of pool.live) this.set({ worker: String(w.index) }, value(w));
        },
      });
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const pool = this;
    perWorker("tessera_media_worker_rooms", "Rooms whose media runs in each media worker", (w) => pool.rooms.get(w)?.size ?? 0);
    perWorker("tessera_media_worker_participants", "Participants in each media worker's rooms", (w) => w.load.participants);
    perWorker("tessera_media_worker_cpu_cores_used", "CPU cores each media worker process used over the last second", (w) => w.load.cpu);
    perWorker(
      "tessera_media_worker_event_loop_delay_seconds",
      "Each media worker's event-loop delay, p99 over the last second",
      (w) => w.load.eventLoopDelayMs / 1000,
    );
    new Counter({
      name: "tessera_media_worker_deaths_total",
      help: "Media workers that died (their rooms were lost and their participants told to join again)",
      registers: [registry],
      collect: function (this: Counter) {
        this.reset();
        this.inc(pool.deaths);
      },
    });
  }

  /** After the rooms are closed: each worker finishes its files' last work and exits (SIGKILL past `graceMs`). */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((w) => w?.stop(graceMs)));
  }

  /** SIGKILL to every worker, resolved once reaped (a forced shutdown's last resort). */
  async killAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((w) => w?.kill()));
  }

  private leastLoaded(): MediaWorker | undefined {
    const load = (w: MediaWorker) => [this.rooms.get(w)?.size ?? 0, w.load.participants, w.load.cpu];
    let best: MediaWorker | undefined;
    for (const w of this.live) {
      if (!best) best = w;
      else {
        const [a, b] = [load(w), load(best)];
        const i = a.findIndex((x, k) => x !== b[k]);
        if (i >= 0 && a[i] < b[i]) best = w;
      }
    }
    return best;
  }

  private fork(index: number): MediaWorker {
    const { config, processes, log } = this.options;
    const worker = new MediaWorker(index, config, processes, log);
    this.workers[index] = worker;
    worker.once("died", () => this.died(worker));
    // Rooms still open when a worker exits while stopping (it was killed past the grace) are gone with it too.
    worker.once("exit", () => this.lose(worker));
    return worker;
  }

  private lose(worker: MediaWorker): void {
    for (const room of this.rooms.get(worker) ?? []) room.workerDied();
    this.rooms.delete(worker);
  }

  /** Its rooms are lost (participants told, recordings left playable) and a replacement starts. */
  private died(worker: MediaWorker): void {
    this.deaths++;
    this.lose(worker);
    if (this.stopping || this.workers[worker.index] !== worker) return;
    // One that died before it was ready (a broken install, a crash at load) is tried again after a pause, not in a loop.
    const wait = worker.wasReady ? 0 : RESTART_PAUSE_MS;
    const timer = setTimeout(() => {
      if (this.stopping) return;
      const replacement = this.fork(worker.index);
      replacement.ready.then(
        () => this.options.log.info("media worker replaced", { worker: worker.index, pid: replacement.pid }),
        (err: Error) => this.options.log.error("replacement media worker did not start", { worker: worker.index, error: err.message }),
      );
    }, wait);
    timer.unref();
  }
}
