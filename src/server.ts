import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { ServerMessage } from "../protocol/messages.js";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
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
import { createMetrics } from "./metrics/metrics.js";
import { MediaMetrics } from "./metrics/mediaMetrics.js";
import { RecordingStore } from "./recordings/recordingStore.js";
import { createServerWebhooks } from "./webhooks/serverWebhooks.js";
import { RoomRegistry } from "./rooms/roomRegistry.js";
import { SignalingSession } from "./signaling/signalingSession.js";
import { originAllowed } from "./access/originCheck.js";
import { RecordingLinks } from "./access/recordingLinks.js";
import { BAD_TARGET_BODY, refusingUnparseableTargets, requestPath } from "./http/requestTarget.js";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The metrics listener's URL (`http://host:port`) when METRICS_PORT is set. */
  readonly metricsUrl?: string;
  readonly config: Config;
  readonly rooms: RoomRegistry;
  /** Every ffmpeg child of this server's rooms (and no other server's). */
  readonly processes: ProcessGroup;
  /** This node's place among others (SingleNode without REDIS_URL). */
  readonly cluster: Cluster;
  close(): Promise<void>;
}

// ws closes the socket itself above this; below it, our own 64 KiB check answers with `too-large`.
const WS_HARD_LIMIT_BYTES = 1024 * 1024;
// A browser that vanishes without closing its socket (lid shut, network gone) misses two pings and is removed.
const HEARTBEAT_MS = 15_000;
// At shutdown, how long clients get to answer the close handshake after their `bye` before being cut off.
const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Starts HTTP, signaling and the room registry. `overrides` replace fields of the default config.
 * `faults`: the process's count of faults nobody caught (src/processFaults.ts), exposed with the metrics.
 */
export async function startServer(overrides: Partial<Config> = {}, log: Logger = createLogger(), faults?: { register(registry: Registry): void }): Promise<RunningServer> {
  const config: Config = { ...defaultConfig, ...overrides };
  const ffmpegPath = config.ffmpegPath ?? resolveFfmpegPath();
  // Resolved before anything starts: a LABEL_FONT naming a font that is not there stops the start-up, naming it.
  const labelFamilies = config.labelFamilies ?? resolveLabelFont(config.labelFont).families;
  if (labelFamilies.length === 0) {
    log.warn("no font found, not even the @fontsource-variable Noto packages npm ci installs: names are drawn with the built-in ASCII font, other scripts as '?' (run npm ci, install fonts-noto-core and fonts-noto-cjk, or set LABEL_FONT)");
  }
  const effective: Config = { ...config, ffmpegPath, labelFamilies };
  const state: AppState = { ready: false, client: await loadClient() };
  const processes = new ProcessGroup();
  const recordings = new RecordingStore(effective.recordingsDir, { minFreeBytes: effective.recordingsMinFreeBytes });
  const media = new MediaMetrics();
  const links = new RecordingLinks(effective.linkSecret, effective.recordingLinkTtlS);
  const hooks = createServerWebhooks(effective, log, links);
  const rooms = new RoomRegistry(effective, log, processes, recordings, undefined, media, hooks?.events);
  const load = new NodeLoadSampler({ rooms, processes, cpuAllowed: effective.nodeCpuCores });
  const cluster = await createCluster(effective, rooms, load, log);
  const metrics = createMetrics(rooms, recordings, media, load, cluster);
  faults?.register(metrics.registry);
  hooks?.webhooks.registerMetrics(metrics.registry);
  const separateMetrics = config.metricsPort !== undefined;
  const http: Server = createServer(refusingUnparseableTargets(createApp(state, { rooms, config: effective, log, recordings, cluster, links }, separateMetrics ? undefined : metrics.handler)));
  const metricsHttp: Server | undefined = separateMetrics
    ? createServer(refusingUnparseableTargets((req, res) => {
        if (requestPath(req.url) !== "/metrics") return void res.writeHead(404).end("only /metrics here\n");
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      }))
    : undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_HARD_LIMIT_BYTES });
  const sessions = new Map<WebSocket, SignalingSession>();
  const connectionsByAddress = new Map<string, number>();
  let closing: Promise<void> | undefined;

  http.on("upgrade", async (request, socket, head) => {
    // Node takes its own error listener off an upgraded socket: without one, a client's reset (ECONNRESET)
    // while we answer would be an uncaught error. ws adds its own once it takes the socket over.
    socket.on("error", () => socket.destroy());
    const path = requestPath(request.url);
    if (path === undefined) {
      media.socketRefused("bad-request");
      return refuseUpgrade(socket, "400 Bad Request", BAD_TARGET_BODY);
    }
    // Once shutdown has begun nobody new may join: their room would be created after closeAll ran.
    if (closing || path !== "/ws") {
      socket.destroy();
      return;
    }
    const origin = request.headers.origin;
    // Another live node's page (the cluster's redirect) is asked of the directory only when nothing else admits it.
    if (!originAllowed(origin, request.headers.host, { allowed: effective.allowedOrigins, publicUrl: effective.publicUrl }) && !(origin !== undefined && (await cluster.isNodeOrigin(origin)))) {
      log.warn("connection refused: origin not allowed", { origin: origin?.slice(0, 200), address: request.socket.remoteAddress });
      media.socketRefused("origin");
      return refuseUpgrade(socket, "403 Forbidden", `forbidden-origin: pages from ${origin?.slice(0, 200)} may not connect; add the origin to ALLOWED_ORIGINS\n`);
    }
    if (closing || socket.destroyed) return void socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => {
      // Counted per address the socket comes from: behind a reverse proxy that is the proxy's (raise the cap).
      const address = request.socket.remoteAddress ?? "unknown";
      const open = connectionsByAddress.get(address) ?? 0;
      if (open >= effective.maxConnectionsPerAddress) {
        log.warn("connection refused: too many from one address", { address, open });
        media.socketRefused("too-many-connections");
        // As a session refuses: the fatal error, then bye with its code (protocol/errorCodes.ts).
        const refusal: ServerMessage[] = [
          { type: "error", code: "too-many-connections", message: `at most ${effective.maxConnectionsPerAddress} connections from one address are allowed` },
          { type: "bye", reason: "too-many-connections" },
        ];
        for (const message of refusal) ws.send(JSON.stringify(message));
        ws.close(1008, "too-many-connections");
        return;
      }
      connectionsByAddress.set(address, open + 1);
      media.socketAccepted();
      ws.on("close", () => {
        const left = (connectionsByAddress.get(address) ?? 1) - 1;
        if (left > 0) connectionsByAddress.set(address, left);
        else connectionsByAddress.delete(address);
      });
      alive.set(ws, true);
      ws.on("pong", () => alive.set(ws, true));
      sessions.set(ws, new SignalingSession(ws, rooms, effective, log, cluster, media));
      ws.on("close", () => sessions.delete(ws));
    });
  });
  const alive = new WeakMap<object, boolean>();
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    http.once("error", (err) => {
      // Nothing else will stop them: a node that cannot listen must not stay registered.
      load.close();
      void cluster.close();
      reject(err);
    });
    http.listen(config.port, config.host, () => resolve());
  });
  if (metricsHttp) {
    try {
      await new Promise<void>((resolve, reject) => {
        metricsHttp.once("error", reject);
        metricsHttp.listen(config.metricsPort, config.metricsHost, () => resolve());
      });
    } catch (err) {
      // The main listener is up already: it must not outlive a start that failed.
      clearInterval(heartbeat);
      metrics.stop();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      throw new Error(`cannot listen for metrics on ${config.metricsHost}:${config.metricsPort}: ${(err as Error).message}`, { cause: err });
    }
  }
  // After listening, so /healthz is not held up; before any room's first frame in practice.
  setImmediate(() => {
    try {
      warmLabelFonts({ families: labelFamilies });
    } catch (err) {
      log.warn("could not draw a sample label at start-up", { error: (err as Error).message });
    }
  });
  state.ready = true;
  const port = (http.address() as AddressInfo).port;
  const metricsUrl = metricsHttp ? `http://${config.metricsHost.includes(":") ? `[${config.metricsHost}]` : config.metricsHost}:${(metricsHttp.address() as AddressInfo).port}` : undefined;
  if (!config.joinTokenSecret) log.warn("JOIN_TOKEN_SECRET is not set: anyone who can reach /ws may join any room under any name (set it to require join tokens)");
  const hostForUrl = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info("listening", { url: `http://${hostForUrl}:${port}`, ffmpeg: ffmpegPath, labelFont: labelFamilies.join(", "), iceHostAddresses: config.iceHostAddresses, ...(cluster.health().node ? { node: cluster.health().node, redis: cluster.health().redis } : {}) });

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    metricsUrl,
    config: effective,
    rooms,
    processes,
    cluster,
    close: () =>
      (closing ??= (async () => {
        // Other nodes stop placing rooms here at once; the rooms here then drain as on a single node.
        cluster.drain();
        state.ready = false;
        clearInterval(heartbeat);
        metrics.stop();
        // server-shutdown is fatal: each session answers it with `bye` and closes; the rooms then let their
        // members go (and finish their recordings).
        for (const session of sessions.values()) session.send({ type: "error", code: "server-shutdown", message: "the server is stopping" });
        await rooms.closeAll("server-shutdown");
        // Stopped recordings' files finished (an MP4's index), within the shutdown grace; then the last
        // events (recording and room finished) get part of what is left of it to reach the receivers.
        await recordings.settled();
        await hooks?.webhooks.drain(Math.min(WEBHOOK_DRAIN_MS, effective.shutdownGraceMs / 2));
        hooks?.webhooks.close();
        await cluster.close();
        load.close();
        await socketsClosed(wss, CLOSE_HANDSHAKE_MS);
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        if (metricsHttp) {
          metricsHttp.closeAllConnections();
          await new Promise<void>((resolve) => metricsHttp.close(() => resolve()));
        }
        await processes.killAll();
      })()),
  };
}

/** Answers an upgrade request with a plain HTTP refusal and closes the socket. */
function refuseUpgrade(socket: Duplex, status: string, body: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** At shutdown, how long webhook events still waiting may take to be delivered (at most half the grace). */
const WEBHOOK_DRAIN_MS = 5000;

/** Resolves once every socket has finished its close handshake, or after `ms`, whichever comes first. */
async function socketsClosed(wss: WebSocketServer, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
