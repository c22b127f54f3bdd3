import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RequestHandler } from "express";
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { RoomSampler } from "./roomSampler.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import type { MediaMetrics } from "./mediaMetrics.js";
import type { Cluster } from "../cluster/cluster.js";
import type { NodeLoadSampler } from "../cluster/nodeLoad.js";
import type { RoomMediaStats } from "../rooms/capabilities.js";
import type { LinkReport } from "../peers/linkMonitor.js";

/** package.json's version, the build_info label: found upwards from here (src/metrics/ or the dist/ bundle). */
const BUILD_VERSION = buildVersion();

function buildVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tessera" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not here: one level up.
    }
  }
  return "unknown";
}

/** The media workers' side of the metrics (MediaWorkerPool). */
export interface WorkerMetricsSource {
  /** Each worker's counters (getMetricsAsJSON), summed with the server's own at each scrape. */
  metrics(): Promise<Awaited<ReturnType<Registry["getMetricsAsJSON"]>>[]>;
  /** Per-worker gauges on the server's registry. */
  registerMetrics(registry: Registry): void;
}

export interface ServerMetrics {
  readonly registry: Registry;
  /** The Prometheus text of a scrape: the server's metrics, with the media workers' counters summed in. */
  text(): Promise<string>;
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
export function createMetrics(
  rooms: RoomRegistry,
  recordings: RecordingStore,
  media: MediaMetrics,
  load: NodeLoadSampler,
  cluster: Cluster,
  workers?: WorkerMetricsSource,
): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sampler = new RoomSampler(rooms);
  nodeMetrics(registry, load, cluster);
  roomMetrics(registry, rooms);
  mixMetrics(registry, sampler);
  linkMetrics(registry, rooms);
  buildInfo(registry);
  media.register(registry);
  recordingMetrics(registry, rooms, recordings);
  workers?.registerMetrics(registry);
  const text = async () => {
    if (!workers) return registry.metrics();
    const [own, theirs] = await Promise.all([registry.getMetricsAsJSON(), workers.metrics()]);
    return AggregatorRegistry.aggregate([own, ...theirs]).metrics();
  };

  return {
    registry,
    text,
    handler: (_req, res, next) => {
      text().then((body) => res.type(registry.contentType).send(body), next);
    },
    stop: () => sampler.stop(),
  };
}

/** This node's load and its place in the cluster (what placement compares). */
function nodeMetrics(registry: Registry, load: NodeLoadSampler, cluster: Cluster): void {
  gaugeOf(registry, "tessera_node_rooms", "Open rooms on this node (what placement compares across nodes)", () => load.current().rooms);
  gaugeOf(
    registry,
    "tessera_node_senders",
    "Senders in this node's open rooms (what placement compares first)",
    () => load.current().senders,
  );
  gaugeOf(
    registry,
    "tessera_node_cpu_cores_used",
    "CPU cores this node used over the last 2 s: the server and its ffmpeg children",
    () => load.current().cpuUsed,
  );
  gaugeOf(registry, "tessera_node_cpu_cores_allowed", "CPU cores this node may use (NODE_CPU_CORES)", () => load.current().cpuAllowed);
  gaugeOf(
    registry,
    "tessera_node_accepting_rooms",
    "1 while a join may create a room on this node; 0 while draining or without Redis",
    () => Number(cluster.health().acceptingRooms),
  );
  gaugeOf(
    registry,
    "tessera_node_redis_connected",
    "1 while this node's Redis answers, 0 while it is lost, -1 without REDIS_URL (single node)",
    () => {
      const { redis } = cluster.health();
      return redis === "off" ? -1 : Number(redis === "connected");
    },
  );
}

/** Open rooms and their participants, by mode (and role). */
function roomMetrics(registry: Registry, rooms: RoomRegistry): void {
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
}

/** The MCU rooms' media work: frames, restarts, CPU, audio, encoders. */
function mixMetrics(registry: Registry, sampler: RoomSampler): void {
  const mcu = () => sampler.mixingRooms();
  // Server-wide sums over every MCU room, closed ones included: no label a user can create (room names are
  // theirs), and counters rather than rates, for `rate()` to compute over any window.
  const framesSent = sampler.total((room) => room.capabilities.mix.mediaStats.video.framesSent);
  const framesDropped = sampler.total((room) => room.capabilities.mix.mediaStats.video.framesDropped);
  const encoderRestarts = sampler.total((room) => room.capabilities.mix.mediaStats.video.encoderRestarts);
  const decoderRestarts = sampler.total((room) => room.capabilities.mix.mediaStats.video.decoderRestarts);
  const undecodable = sampler.total((room) => room.capabilities.mix.mediaStats.video.undecodableFrames);
  const cpuSeconds = sampler.total((room) => sampler.cpuSeconds(room));
  sampledCounter(
    registry,
    sampler,
    "tessera_mix_frames_total",
    "Mixed video frames sent by MCU rooms (rate() is the output frame rate)",
    framesSent,
  );
  sampledCounter(
    registry,
    sampler,
    "tessera_mix_frames_dropped_total",
    "Mixed video frames an MCU room did not compose or encode in time (compositor behind, or encoder backlog)",
    framesDropped,
  );
  sampledCounter(
    registry,
    sampler,
    "tessera_video_frames_undecodable_total",
    "Participants' video frames MCU rooms dropped as undecodable, each followed by a wait for a keyframe (VIDEO_DECODER=inprocess)",
    undecodable,
  );
  new Counter({
    name: "tessera_ffmpeg_restarts_total",
    help: "Media workers of MCU rooms that died or failed on their own and were started again (decoder: an ffmpeg child; encoder: the in-process mix encoder)",
    labelNames: ["process"],
    registers: [registry],
    collect() {
      sampler.sample();
      this.reset();
      this.inc({ process: "encoder" }, encoderRestarts());
      this.inc({ process: "decoder" }, decoderRestarts());
    },
  });
  sampledCounter(
    registry,
    sampler,
    "tessera_mix_cpu_seconds_total",
    "CPU seconds (user + system) used by MCU rooms' ffmpeg children, including those that have exited",
    cpuSeconds,
  );
  audioMixMetrics(registry, mcu);
  new Gauge({
    name: "tessera_mix_encoders",
    help: "Mix encoders running in MCU rooms, by codec: one per codec a room's receivers take (VP8 by default, H264 for receivers that prefer it), never one per receiver",
    labelNames: ["codec"],
    registers: [registry],
    collect() {
      this.reset();
      for (const codec of ["vp8", "h264"] as const)
        this.set({ codec }, mcu().filter((room) => room.capabilities.mix.mediaStats.video.outputCodecs.includes(codec)).length);
    },
  });
}

/** Summed over the MCU rooms, with no room label: how much Opus work the talkers-only mix saves. */
function audioMixMetrics(registry: Registry, mcu: () => ReturnType<RoomSampler["mixingRooms"]>): void {
  const audioGauge = (name: string, help: string, value: (audio: RoomMediaStats["audio"]) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(mcu().reduce((sum, room) => sum + value(room.capabilities.mix.mediaStats.audio), 0));
      },
    });
  audioGauge(
    "tessera_audio_inputs_with_levels",
    "MCU senders whose packets carry their own audio level (RFC 6464): only their silence can go undecoded",
    (a) => a.inputsWithLevels,
  );
  audioGauge(
    "tessera_audio_inputs_decoded",
    "MCU senders whose audio is being decoded (a packet decoded in the last 100 ms); silent ones are skipped",
    (a) => a.inputsDecoded,
  );
  audioGauge(
    "tessera_audio_inputs_mixed",
    "MCU senders in their room's audio mix now (at most the 3 loudest talkers per room)",
    (a) => a.inputsMixed,
  );
  audioGauge(
    "tessera_audio_encodings",
    "Opus encodings per 20 ms tick: one everyone-mix per room plus one mix-minus per talker in the mix",
    (a) => a.encodings,
  );
}

/** The receivers' links as the server measures them. */
function linkMetrics(registry: Registry, rooms: RoomRegistry): void {
  // Receivers' links over every open room, as the lowest, median and highest value: per-receiver labels would
  // be names users make (rooms, participants); the control API's room detail has each receiver's own.
  const links = () => {
    const all: LinkReport[] = [];
    for (const room of rooms.all()) {
      if (room.isClosing || !room.capabilities.links) continue;
      for (const m of room.list()) {
        const link = room.capabilities.links.linkOf(m.id);
        if (link) all.push(link);
      }
    }
    return all;
  };
  const linkGauge = (name: string, help: string, value: (link: LinkReport) => number | undefined) =>
    new Gauge({
      name,
      help: `${help}, over the connected receivers of open MCU and SFU rooms: lowest, median and highest`,
      labelNames: ["stat"],
      registers: [registry],
      collect() {
        this.reset();
        const values = links()
          .map(value)
          .filter((v): v is number => v !== undefined)
          .sort((a, b) => a - b);
        if (values.length === 0) return;
        this.set({ stat: "min" }, values[0]);
        this.set({ stat: "median" }, values[Math.floor(values.length / 2)]);
        this.set({ stat: "max" }, values[values.length - 1]);
      },
    });
  linkGauge(
    "tessera_receiver_available_bits_per_second",
    "What the server estimates each receiver's link carries (transport-cc, receiver reports, REMB)",
    (l) => l.availableBps,
  );
  linkGauge(
    "tessera_receiver_sent_bits_per_second",
    "What the server sends each receiver, retransmissions included (last 500 ms)",
    (l) => l.sendBps,
  );
  linkGauge("tessera_receiver_loss_ratio", "Share of packets each receiver reports lost (smoothed)", (l) => l.lossFraction);
  linkGauge("tessera_receiver_rtt_seconds", "Round-trip time to each receiver, from its receiver reports", (l) =>
    l.rttMs === undefined ? undefined : l.rttMs / 1000,
  );
  new Gauge({
    name: "tessera_receiver_retransmissions",
    help: "Packets receivers of open rooms asked for again (NACK), by what the server did: resent, or abandoned (too old to help, or no room under the receiver's estimate)",
    labelNames: ["outcome"],
    registers: [registry],
    collect() {
      this.reset();
      const all = links();
      this.set(
        { outcome: "resent" },
        all.reduce((s, l) => s + l.retransmittedPackets, 0),
      );
      this.set(
        { outcome: "abandoned" },
        all.reduce((s, l) => s + l.abandonedPackets, 0),
      );
    },
  });
}

function buildInfo(registry: Registry): void {
  new Gauge({
    name: "tessera_build_info",
    help: "Always 1; the labels say what is running",
    labelNames: ["version", "node"],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ version: BUILD_VERSION, node: process.versions.node }, 1);
    },
  });
}

/** Bytes the recordings write. */
function recordingMetrics(registry: Registry, rooms: RoomRegistry, recordings: RecordingStore): void {
  new Gauge({
    name: "tessera_recording_bytes",
    help: "Bytes written so far to the media files of the recordings in progress",
    registers: [registry],
    collect() {
      this.reset();
      let bytes = 0;
      for (const room of rooms.all()) {
        const recording = room.capabilities.recording?.activeRecording;
        if (recording && !room.isClosing) bytes += recording.bytes;
      }
      this.set(bytes);
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
}

/** A gauge read at scrape time. */
function gaugeOf(registry: Registry, name: string, help: string, value: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}

/** A counter of a sum over the rooms, sampled (closed rooms kept) at scrape time. */
function sampledCounter(registry: Registry, sampler: RoomSampler, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      sampler.sample();
      this.reset();
      this.inc(value());
    },
  });
}
