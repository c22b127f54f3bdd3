import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { processCpuSeconds } from "../metrics/procCpu.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { roomSummary, type RoomSummary } from "../rooms/roomSummary.js";

/** What a node carries: what placement compares, what /metrics shows and what the node publishes. */
export interface NodeLoad {
  readonly rooms: number;
  readonly participants: number;
  readonly senders: number;
  /** CPU cores in use over the last sample interval: this process and its ffmpeg children. */
  readonly cpuUsed: number;
  /** CPU cores this node may use (NODE_CPU_CORES). */
  readonly cpuAllowed: number;
}

export interface NodeLoadOptions {
  /** The node's rooms. */
  readonly rooms: RoomRegistry;
  /** The node's children (ffmpeg, media workers): their CPU is the node's too. */
  readonly processes: Pick<ProcessGroup, "pids">;
  /** CPU cores the node may use. */
  readonly cpuAllowed: number;
  /** How often CPU is sampled (ms). */
  readonly intervalMs?: number;
}

/**
 * The node's load, with CPU measured as a rate over the last interval (Node's own usage plus each live
 * ffmpeg child's from /proc). Rooms and senders are read live. Used with or without a cluster.
 */
export class NodeLoadSampler {
  private readonly timer: NodeJS.Timeout;
  private lastAt = performance.now();
  private lastSelf = process.cpuUsage();
  private readonly childCpu = new Map<number, number>();
  private cpuUsed = 0;

  constructor(private readonly options: NodeLoadOptions) {
    this.timer = setInterval(() => this.sample(), options.intervalMs ?? 2000);
    this.timer.unref();
  }

  current(): NodeLoad {
    const open = this.options.rooms.all().filter((r) => !r.isClosing);
    let participants = 0;
    let senders = 0;
    for (const room of open) {
      for (const m of room.list()) {
        participants++;
        if (m.role === "sender") senders++;
      }
    }
    return { rooms: open.length, participants, senders, cpuUsed: this.cpuUsed, cpuAllowed: this.options.cpuAllowed };
  }

  /** The node's open rooms, one line each. */
  roomSummaries(): RoomSummary[] {
    return this.options.rooms
      .all()
      .filter((r) => !r.isClosing)
      .map(roomSummary);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.now();
    const self = process.cpuUsage();
    let seconds = (self.user - this.lastSelf.user + self.system - this.lastSelf.system) / 1e6;
    const live = new Set(this.options.processes.pids);
    for (const pid of live) {
      const cpu = processCpuSeconds(pid);
      if (cpu === undefined) continue;
      // A child first seen now counts all it has used: it started within this interval.
      seconds += cpu - (this.childCpu.get(pid) ?? 0);
      this.childCpu.set(pid, cpu);
    }
    for (const pid of this.childCpu.keys()) if (!live.has(pid)) this.childCpu.delete(pid);
    const elapsed = (now - this.lastAt) / 1000;
    if (elapsed > 0) this.cpuUsed = Math.round((seconds / elapsed) * 100) / 100;
    this.lastAt = now;
    this.lastSelf = self;
  }
}
