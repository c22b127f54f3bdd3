import type { MixStats } from "../rooms/capabilities.js";
import type { ConferenceRoom } from "../rooms/conferenceRoom.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { processCpuSeconds } from "./procCpu.js";

const WINDOW_MS = 5000;

/** A room that has the mixing capability. */
export type MixingRoom = ConferenceRoom & { readonly capabilities: { readonly mix: MixStats } };

interface ServerTotal {
  readonly valueOf: (room: MixingRoom) => number;
  /** Each live room's value at the last sample. */
  readonly last: Map<MixingRoom, number>;
  /** The sum of closed rooms' last values. */
  retired: number;
}

interface RoomTrack {
  readonly frames: { at: number; sent: number }[];
  /** Last CPU reading of each live ffmpeg child. */
  readonly cpuByPid: Map<number, number>;
  /** CPU of the room's children that have exited (their last reading: up to one sample interval short). */
  exitedCpu: number;
}

/**
 * Samples every MCU room once a second (and at each scrape): a rolling output frame rate that does not
 * depend on who scrapes or how often, and CPU per room that keeps counting children after they exit.
 */
export class RoomSampler {
  private readonly tracks = new Map<MixingRoom, RoomTrack>();
  private readonly totals: ServerTotal[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly rooms: RoomRegistry,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** The open rooms that mix (MCU rooms): those with figures of a media plane. */
  mixingRooms(): MixingRoom[] {
    return this.rooms.all().filter((r): r is MixingRoom => r.capabilities.mix !== undefined && !r.isClosing);
  }

  /**
   * A server-wide counter over every MCU room, live or closed: each room's last sampled value is kept when
   * it closes (up to one sample interval short), so the sum only grows and `rate()` over it is right.
   */
  total(valueOf: (room: MixingRoom) => number): () => number {
    const total: ServerTotal = { valueOf, last: new Map(), retired: 0 };
    this.totals.push(total);
    return () => {
      let sum = total.retired;
      for (const v of total.last.values()) sum += v;
      return sum;
    };
  }

  sample(now = performance.now()): void {
    const live = new Set(this.mixingRooms());
    for (const room of this.tracks.keys()) if (!live.has(room)) this.tracks.delete(room);
    for (const total of this.totals) {
      for (const [room, v] of total.last) {
        if (live.has(room)) continue;
        total.retired += v;
        total.last.delete(room);
      }
    }
    for (const room of live) {
      let track = this.tracks.get(room);
      if (!track) this.tracks.set(room, (track = { frames: [], cpuByPid: new Map(), exitedCpu: 0 }));
      const stats = room.capabilities.mix.mediaStats;
      track.frames.push({ at: now, sent: stats.video.framesSent });
      while (track.frames.length > 2 && now - track.frames[0].at > WINDOW_MS) track.frames.shift();
      const current = new Set(stats.ffmpegPids);
      for (const [pid, cpu] of track.cpuByPid) {
        if (current.has(pid)) continue;
        track.exitedCpu += cpu;
        track.cpuByPid.delete(pid);
      }
      for (const pid of current) {
        const cpu = processCpuSeconds(pid);
        if (cpu !== undefined) track.cpuByPid.set(pid, cpu);
      }
    }
    for (const total of this.totals) for (const room of live) total.last.set(room, total.valueOf(room));
  }

  /** Frames sent per second over the last few seconds; undefined until there is half a second to measure. */
  outputFps(room: MixingRoom): number | undefined {
    const frames = this.tracks.get(room)?.frames;
    if (!frames || frames.length < 2) return undefined;
    const first = frames[0];
    const last = frames[frames.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds >= 0.5 ? (last.sent - first.sent) / seconds : undefined;
  }

  cpuSeconds(room: MixingRoom): number {
    const track = this.tracks.get(room);
    if (!track) return 0;
    let total = track.exitedCpu;
    for (const cpu of track.cpuByPid.values()) total += cpu;
    return total;
  }

  stop(): void {
    clearInterval(this.timer);
    this.tracks.clear();
  }
}
