import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { resolveVideoDecoder } from "../mixer/video/participantDecoder.js";
import { resolveLabelFont } from "../mixer/video/labelFont.js";
import { warmLabelFonts } from "../mixer/video/labelRenderer.js";
import { ProcessGroup } from "../mixer/ffmpeg/processGroup.js";
import { defaultConfig, type Config } from "./config.js";
import type { Cluster } from "./cluster/cluster.js";
import { createCluster } from "./cluster/createCluster.js";
import { NodeLoadSampler } from "./cluster/nodeLoad.js";
import { createApp, type AppState } from "./http/app.js";
import { loadClient } from "./http/clientBundle.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, type ServerMetrics } from "./metrics/metrics.js";
import { MediaMetrics } from "./metrics/mediaMetrics.js";
import { RecordingStore } from "./recordings/recordingStore.js";
import { S3Storage } from "./recordings/upload/s3Storage.js";
import { announceUploads, createServerWebhooks } from "./webhooks/serverWebhooks.js";
import { RoomRegistry } from "./rooms/roomRegistry.js";
import { SocketAdmission } from "./signaling/socketAdmission.js";
import { RecordingLinks } from "./access/recordingLinks.js";
import { refusingUnparseableTargets, requestPath } from "./http/requestTarget.js";
import type { Registry } from "prom-client";
import { startMediaWorkers } from "./workers/startMediaWorkers.js";
import type { MediaWorkerPool } from "./workers/mediaWorkerPool.js";

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The metrics listener's URL (`http://host:port`) when METRICS_PORT is set. */
  readonly metricsUrl?: string;
  readonly config: Config;
  readonly rooms: RoomRegistry;
  /** Every ffmpeg child of this server's rooms (and no other server's), those of its media workers' rooms too. */
  readonly processes: ProcessGroup;
  /** The media workers (MEDIA_WORKERS), when there are any. */
  readonly workers: MediaWorkerPool | undefined;
  /** This node's place among others (SingleNode without REDIS_URL). */
  readonly cluster: Cluster;
  close(): Promise<void>;
}

// At shutdown, how long clients get to answer the close handshake after their `bye` before being cut off.
const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Starts HTTP, signaling and the room registry. `overrides` replace fields of the default config.
 * `faults`: the process's count of faults nobody caught (src/processFaults.ts), exposed with the metrics.
 */
export async function startServer(
  overrides: Partial<Config> = {},
  log: Logger = createLogger(),
  faults?: { register(registry: Registry): void },
): Promise<RunningServer> {
  const { config, effective, labelFamilies } = resolveConfig(overrides, log);
  const state: AppState = { ready: false, client: await loadClient() };
  const processes = new ProcessGroup();
  // The AWS SDK is loaded only with a bucket configured (S3Storage.create imports it; left out of the bundle).
  const storage = effective.recordingsS3 ? await S3Storage.create(effective.recordingsS3) : undefined;
  const recordings = new RecordingStore(effective.recordingsDir, { minFreeBytes: effective.recordingsMinFreeBytes, storage, log });
  const media = new MediaMetrics();
  const links = new RecordingLinks(effective.linkSecret, effective.recordingLinkTtlS);
  const hooks = createServerWebhooks(effective, log, links);
  if (hooks && recordings.uploader) announceUploads(recordings.uploader, hooks.events);
  const workers = await startMediaWorkers({ config: effective, log, processes, recordings, events: hooks?.events });
  const rooms = new RoomRegistry(effective, log, processes, recordings, undefined, media, hooks?.events, workers);
  const load = new NodeLoadSampler({ rooms, processes: childrenOf(processes, workers), cpuAllowed: effective.nodeCpuCores });
  const cluster = await createCluster(effective, rooms, load, log);
  const metrics = createMetrics(rooms, recordings, media, load, cluster, workers);
  for (const part of [faults, hooks?.webhooks, recordings.uploader]) registerOn(metrics.registry, part);
  const separateMetrics = config.metricsPort !== undefined;
  const services = { rooms, config: effective, log, recordings, cluster, links };
  const app = createApp(state, services, separateMetrics ? undefined : metrics.handler);
  const http: Server = createServer(refusingUnparseableTargets(app));
  const metricsHttp = separateMetrics ? metricsOnlyServer(metrics) : undefined;
  let closing: Promise<void> | undefined;
  const sockets = new SocketAdmission({ config: effective, log, rooms, cluster, media, closing: () => closing !== undefined });
  http.on("upgrade", sockets.upgrade);

  await listen(http, config.port, config.host).catch((err: unknown) => {
    // Nothing else will stop them: a node that cannot listen must not stay registered.
    load.close();
    void cluster.close();
    void Promise.all([recordings.close(0), workers?.stop(0)]);
    throw err;
  });
  if (metricsHttp) {
    await listen(metricsHttp, config.metricsPort, config.metricsHost).catch(async (err: unknown) => {
      // The main listener is up already: it must not outlive a start that failed.
      sockets.stopHeartbeat();
      metrics.stop();
      await Promise.all([recordings.close(0), workers?.stop(0)]);
      await new Promise<void>((resolve) => http.close(() => resolve()));
      const where = `${config.metricsHost}:${config.metricsPort}`;
      throw new Error(`cannot listen for metrics on ${where}: ${(err as Error).message}`, { cause: err });
    });
  }
  // After listening, so /healthz is not held up; before any room's first frame in practice.
  setImmediate(() => warmFonts(labelFamilies, log));
  state.ready = true;
  // In the background: what a previous process left to upload (a long queue must not hold up the start).
  void recordings.resumeUploads().catch((err: Error) => log.error("could not resume recording uploads", { error: err.message }));
  const port = (http.address() as AddressInfo).port;
  const metricsUrl = metricsHttp
    ? `http://${config.metricsHost.includes(":") ? `[${config.metricsHost}]` : config.metricsHost}:${(metricsHttp.address() as AddressInfo).port}`
    : undefined;
  const hostForUrl = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  announceListening(log, effective, `http://${hostForUrl}:${port}`, cluster);

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    metricsUrl,
    config: effective,
    rooms,
    processes,
    workers,
    cluster,
    close: () =>
      (closing ??= stop({
        cluster,
        state,
        sockets,
        metrics,
        rooms,
        recordings,
        hooks,
        shutdownGraceMs: effective.shutdownGraceMs,
        load,
        http,
        metricsHttp,
        processes,
        workers,
      })),
  };
}

/** Every child whose CPU is the node's: the rooms' ffmpeg children and the media workers. */
function childrenOf(processes: ProcessGroup, workers: MediaWorkerPool | undefined): { readonly pids: number[] } {
  return {
    get pids() {
      return [...processes.pids, ...(workers?.pids ?? [])];
    },
  };
}

/** Exposes a part's own metrics (a fault count, webhook deliveries, uploads) on the server's registry. */
function registerOn(registry: Registry, part: { register?(r: Registry): void; registerMetrics?(r: Registry): void } | undefined): void {
  if (part?.register) part.register(registry);
  else part?.registerMetrics?.(registry);
}

/** The config the server runs on: the defaults, the overrides, and what is resolved on this machine (ffmpeg, the decoder, the label font). */
function resolveConfig(overrides: Partial<Config>, log: Logger) {
  const config: Config = { ...defaultConfig, ...overrides };
  const ffmpegPath = config.ffmpegPath ?? resolveFfmpegPath();
  const videoDecoder = config.videoDecoder ?? resolveVideoDecoder();
  // Resolved before anything starts: a LABEL_FONT naming a font that is not there stops the start-up, naming it.
  const labelFamilies = config.labelFamilies ?? resolveLabelFont(config.labelFont).families;
  if (labelFamilies.length === 0) {
    log.warn(
      "no font found, not even the @fontsource-variable Noto packages npm ci installs: names are drawn with the built-in ASCII font, other scripts as '?' (run npm ci, install fonts-noto-core and fonts-noto-cjk, or set LABEL_FONT)",
    );
  }
  // Media workers sign recording links too (webhooks): without LINK_SECRET, they share one made now.
  const linkSecret = config.linkSecret ?? (config.mediaWorkers > 0 ? randomBytes(32).toString("hex") : undefined);
  const effective: Config = { ...config, ffmpegPath, videoDecoder, labelFamilies, linkSecret };
  return { config, effective, ffmpegPath, labelFamilies };
}

/** Draws a sample label once, so the first room does not pay for loading the fonts. */
function warmFonts(families: readonly string[], log: Logger): void {
  try {
    warmLabelFonts({ families });
  } catch (err) {
    log.warn("could not draw a sample label at start-up", { error: (err as Error).message });
  }
}

/** The start-up's last lines: where the server listens, and the one setting an operator must not forget. */
function announceListening(log: Logger, config: Config, url: string, cluster: Cluster): void {
  if (!config.joinTokenSecret)
    log.warn("JOIN_TOKEN_SECRET is not set: anyone who can reach /ws may join any room under any name (set it to require join tokens)");
  log.info("listening", {
    url,
    ffmpeg: config.ffmpegPath,
    videoDecoder: config.videoDecoder,
    labelFont: config.labelFamilies?.join(", "),
    iceHostAddresses: config.iceHostAddresses,
    ...(cluster.health().node ? { node: cluster.health().node, redis: cluster.health().redis } : {}),
  });
}

/** What a running server stops, in the order stop() takes them. */
interface ServerParts {
  readonly cluster: Cluster;
  readonly state: AppState;
  readonly sockets: SocketAdmission;
  readonly metrics: ServerMetrics;
  readonly rooms: RoomRegistry;
  readonly recordings: RecordingStore;
  readonly hooks: ReturnType<typeof createServerWebhooks>;
  readonly shutdownGraceMs: number;
  readonly load: NodeLoadSampler;
  readonly http: Server;
  readonly metricsHttp: Server | undefined;
  readonly processes: ProcessGroup;
  readonly workers: MediaWorkerPool | undefined;
}

/** Shutdown: the cluster drains, sessions are told, rooms close (recordings finish), then the listeners and every child go. */
async function stop({
  cluster,
  state,
  sockets,
  metrics,
  rooms,
  recordings,
  hooks,
  shutdownGraceMs,
  load,
  http,
  metricsHttp,
  processes,
  workers,
}: ServerParts): Promise<void> {
  // Other nodes stop placing rooms here at once; the rooms here then drain as on a single node.
  cluster.drain();
  state.ready = false;
  sockets.stopHeartbeat();
  metrics.stop();
  // server-shutdown is fatal: each session answers it with `bye` and closes; the rooms then let their
  // members go (and finish their recordings).
  sockets.announceShutdown();
  await rooms.closeAll("server-shutdown");
  // Each worker finishes its stopped recordings' files (an MP4's index) and exits.
  await workers?.stop(shutdownGraceMs);
  // Stopped recordings' files finished (an MP4's index), within the shutdown grace; then the last
  // events (recording and room finished) get part of what is left of it to reach the receivers.
  await recordings.settled();
  // Queued uploads (the recordings just stopped) get a bounded part of the grace; the rest resume at the next start.
  await recordings.close(Math.min(UPLOAD_DRAIN_MS, shutdownGraceMs / 4));
  await hooks?.webhooks.drain(Math.min(WEBHOOK_DRAIN_MS, shutdownGraceMs / 2));
  hooks?.webhooks.close();
  await cluster.close();
  load.close();
  await sockets.close(CLOSE_HANDSHAKE_MS);
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  if (metricsHttp) {
    metricsHttp.closeAllConnections();
    await new Promise<void>((resolve) => metricsHttp.close(() => resolve()));
  }
  await processes.killAll();
}

/** At shutdown, how long an upload in flight may take to finish (at most a quarter of the grace) before it is left for the next start. */
const UPLOAD_DRAIN_MS = 5000;

/** At shutdown, how long webhook events still waiting may take to be delivered (at most half the grace). */
const WEBHOOK_DRAIN_MS = 5000;

/** The metrics on a listener of their own (METRICS_PORT): /metrics and nothing else. */
function metricsOnlyServer(metrics: ServerMetrics): Server {
  return createServer(
    refusingUnparseableTargets((req, res) => {
      if (requestPath(req.url) !== "/metrics") return void res.writeHead(404).end("only /metrics here\n");
      metrics.text().then(
        (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    }),
  );
}

/** Resolves once `server` listens, rejects with its error (a port in use) if it cannot. */
function listen(server: Server, port: number | undefined, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}
