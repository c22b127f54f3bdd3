import type { RequestHandler } from "express";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { RoomSampler } from "./roomSampler.js";
import type { RecordingStore } from "../recordings/recordingStore.js";

export interface ServerMetrics {
  readonly registry: Registry;
  /** GET /metrics: Prometheus text format. */
  readonly handler: RequestHandler;
  stop(): void;
}

const modes = ["mcu", "sfu", "mesh"] as const;
const roles = ["sender", "viewer"] as const;

/**
 * The server's Prometheus metrics, on a Registry of its own (several servers in one test process must not
 * share one). Room figures are read from the rooms at scrape time, so nothing in the rooms pushes to it.
 */
export function createMetrics(rooms: RoomRegistry, recordings: RecordingStore): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sampler = new RoomSampler(rooms);
  const mcu = () => sampler.mixingRooms();

  new Gauge({
    name: "tessera_rooms",
    help: "Open rooms by mode",
    labelNames: ["mode"],
    registers: [registry],
    collect() {
      this.reset();
      for (const mode of modes) this.set({ mode }, 0);
      for (const room of rooms.all()) if (!room.isClosing) this.inc({ mode: room.mode });
    },
  });
  new Gauge({
    name: "tessera_participants",
    help: "Participants in open rooms by room mode and role",
    labelNames: ["mode", "role"],
    registers: [registry],
    collect() {
      this.reset();
      for (const mode of modes) for (const role of roles) this.set({ mode, role }, 0);
      for (const room of rooms.all()) {
        if (room.isClosing) continue;
        for (const m of room.list()) this.inc({ mode: room.mode, role: m.role });
      }
    },
  });
  new Gauge({
    name: "tessera_room_output_fps",
    help: "Frames per second of an MCU room's mixed video, over the last 5 s",
    labelNames: ["room"],
    registers: [registry],
    collect() {
      this.reset();
      sampler.sample();
      for (const room of mcu()) {
        const fps = sampler.outputFps(room);
        if (fps !== undefined) this.set({ room: room.name }, Math.round(fps * 100) / 100);
      }
    },
  });
  roomCounter(registry, "tessera_room_frames_sent_total", "Mixed video frames sent by an MCU room", (room) => room.capabilities.mix.mediaStats.video.framesSent);
  roomCounter(
    registry,
    "tessera_room_frames_dropped_total",
    "Mixed video frames an MCU room did not compose or encode in time (compositor behind, or encoder backlog)",
    (room) => room.capabilities.mix.mediaStats.video.framesDropped,
  );
  new Counter({
    name: "tessera_ffmpeg_restarts_total",
    help: "Media workers of an MCU room that died or failed on their own and were started again (decoder: an ffmpeg child; encoder: the in-process mix encoder)",
    labelNames: ["room", "process"],
    registers: [registry],
    collect() {
      this.reset();
      for (const room of mcu()) {
        const { video } = room.capabilities.mix.mediaStats;
        this.inc({ room: room.name, process: "encoder" }, video.encoderRestarts);
        this.inc({ room: room.name, process: "decoder" }, video.decoderRestarts);
      }
    },
  });
  roomCounter(
    registry,
    "tessera_room_cpu_seconds_total",
    "CPU seconds (user + system) used by an MCU room's ffmpeg children, including those that have exited",
    (room) => sampler.cpuSeconds(room),
  );
  new Gauge({
    name: "tessera_recording_bytes",
    help: "Bytes written so far to the media file of a room's recording in progress",
    labelNames: ["room"],
    registers: [registry],
    collect() {
      this.reset();
      for (const room of rooms.all()) {
        const recording = room.capabilities.recording?.activeRecording;
        if (recording && !room.isClosing) this.set({ room: room.name }, recording.bytes);
      }
    },
  });
  new Counter({
    name: "tessera_recording_bytes_written_total",
    help: "Bytes written by every recording since the server started",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(recordings.bytesWritten);
    },
  });

  return {
    registry,
    handler: (_req, res, next) => {
      registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
    },
    stop: () => sampler.stop(),
  };

  function roomCounter(reg: Registry, name: string, help: string, value: (room: ReturnType<typeof mcu>[number]) => number): void {
    new Counter({
      name,
      help,
      labelNames: ["room"],
      registers: [reg],
      collect() {
        this.reset();
        for (const room of mcu()) this.inc({ room: room.name }, value(room));
      },
    });
  }
}
