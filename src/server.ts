import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { ServerMessage } from "../protocol/messages.js";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { resolveLabelFont } from "../mixer/video/labelFont.js";
import { warmLabelFonts } from "../mixer/video/labelRenderer.js";
import { ProcessGroup } from "../mixer/ffmpeg/processGroup.js";
import { defaultConfig, type Config } from "./config.js";
import { createApp, type AppState } from "./http/app.js";
import { loadClient } from "./http/clientBundle.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics } from "./metrics/metrics.js";
import { RecordingStore } from "./recordings/recordingStore.js";
import { RoomRegistry } from "./rooms/roomRegistry.js";
import { SignalingSession } from "./signaling/signalingSession.js";

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly config: Config;
  readonly rooms: RoomRegistry;
  /** Every ffmpeg child of this server's rooms (and no other server's). */
  readonly processes: ProcessGroup;
  close(): Promise<void>;
}

// ws closes the socket itself above this; below it, our own 64 KiB check answers with `too-large`.
const WS_HARD_LIMIT_BYTES = 1024 * 1024;
// A browser that vanishes without closing its socket (lid shut, network gone) misses two pings and is removed.
const HEARTBEAT_MS = 15_000;
// At shutdown, how long clients get to answer the close handshake after their `bye` before being cut off.
const CLOSE_HANDSHAKE_MS = 1000;

/** Starts HTTP, signaling and the room registry. `overrides` replace fields of the default config. */
export async function startServer(overrides: Partial<Config> = {}, log: Logger = createLogger()): Promise<RunningServer> {
  const config: Config = { ...defaultConfig, ...overrides };
  const ffmpegPath = config.ffmpegPath ?? resolveFfmpegPath();
  // Resolved before anything starts: a LABEL_FONT naming a font that is not there stops the start-up, naming it.
  const labelFamilies = config.labelFamilies ?? resolveLabelFont(config.labelFont).families;
  if (labelFamilies.length === 0) {
    log.warn("no font is installed: names are drawn with the built-in ASCII font, other scripts as '?' (install fonts-noto-core and fonts-noto-cjk, or set LABEL_FONT)");
  }
  const effective: Config = { ...config, ffmpegPath, labelFamilies };
  const state: AppState = { ready: false, client: await loadClient() };
  const processes = new ProcessGroup();
  const recordings = new RecordingStore(effective.recordingsDir, { minFreeBytes: effective.recordingsMinFreeBytes });
  const rooms = new RoomRegistry(effective, log, processes, recordings);
  const metrics = createMetrics(rooms, recordings);
  const http: Server = createServer(createApp(state, { rooms, config: effective, log, recordings }, metrics.handler));
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_HARD_LIMIT_BYTES });
  const sessions = new Map<WebSocket, SignalingSession>();
  const connectionsByAddress = new Map<string, number>();
  let closing: Promise<void> | undefined;

  http.on("upgrade", (request, socket, head) => {
    // Once shutdown has begun nobody new may join: their room would be created after closeAll ran.
    if (closing || new URL(request.url ?? "/", "http://x").pathname !== "/ws") {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // Counted per address the socket comes from: behind a reverse proxy that is the proxy's (raise the cap).
      const address = request.socket.remoteAddress ?? "unknown";
      const open = connectionsByAddress.get(address) ?? 0;
      if (open >= effective.maxConnectionsPerAddress) {
        log.warn("connection refused: too many from one address", { address, open });
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
      ws.on("close", () => {
        const left = (connectionsByAddress.get(address) ?? 1) - 1;
        if (left > 0) connectionsByAddress.set(address, left);
        else connectionsByAddress.delete(address);
      });
      alive.set(ws, true);
      ws.on("pong", () => alive.set(ws, true));
      sessions.set(ws, new SignalingSession(ws, rooms, effective, log));
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
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
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
  const hostForUrl = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info("listening", { url: `http://${hostForUrl}:${port}`, ffmpeg: ffmpegPath, labelFont: labelFamilies.join(", "), iceHostAddresses: config.iceHostAddresses });

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    config: effective,
    rooms,
    processes,
    close: () =>
      (closing ??= (async () => {
        state.ready = false;
        clearInterval(heartbeat);
        metrics.stop();
        // server-shutdown is fatal: each session answers it with `bye` and closes; the rooms then let their
        // members go (and finish their recordings).
        for (const session of sessions.values()) session.send({ type: "error", code: "server-shutdown", message: "the server is stopping" });
        await rooms.closeAll("server-shutdown");
        await socketsClosed(wss, CLOSE_HANDSHAKE_MS);
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await processes.killAll();
      })()),
  };
}

/** Resolves once every socket has finished its close handshake, or after `ms`, whichever comes first. */
async function socketsClosed(wss: WebSocketServer, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
