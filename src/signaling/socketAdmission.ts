import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { originAllowed } from "../access/originCheck.js";
import type { Cluster } from "../cluster/cluster.js";
import type { Config } from "../config.js";
import { BAD_TARGET_BODY, requestPath } from "../http/requestTarget.js";
import type { Logger } from "../log.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { SignalingSession } from "./signalingSession.js";

// ws closes the socket itself above this; below it, our own 64 KiB check answers with `too-large`.
const WS_HARD_LIMIT_BYTES = 1024 * 1024;
// A browser that vanishes without closing its socket (lid shut, network gone) misses two pings and is removed.
const HEARTBEAT_MS = 15_000;

export interface SocketAdmissionDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly rooms: RoomRegistry;
  readonly cluster: Cluster;
  readonly media: MediaMetrics;
  /** True once shutdown has begun: nobody new may join (their room would be created after closeAll ran). */
  readonly closing: () => boolean;
}

/**
 * Who may open a signaling socket, and keeping the open ones honest: the upgrade's path and origin, the cap
 * on sockets from one address, a heartbeat that removes sockets whose browser vanished. Each admitted socket
 * gets its SignalingSession.
 */
export class SocketAdmission {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: WS_HARD_LIMIT_BYTES });
  private readonly sessions = new Map<WebSocket, SignalingSession>();
  private readonly connectionsByAddress = new Map<string, number>();
  private readonly alive = new WeakMap<object, boolean>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly deps: SocketAdmissionDeps) {
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The HTTP server's `upgrade` listener. */
  readonly upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const { config, log, cluster, media } = this.deps;
    // Node takes its own error listener off an upgraded socket: without one, a client's reset (ECONNRESET)
    // while we answer would be an uncaught error. ws adds its own once it takes the socket over.
    socket.on("error", () => socket.destroy());
    const path = requestPath(request.url);
    if (path === undefined) {
      media.socketRefused("bad-request");
      return refuseUpgrade(socket, "400 Bad Request", BAD_TARGET_BODY);
    }
    if (this.deps.closing() || path !== "/ws") {
      socket.destroy();
      return;
    }
    const origin = request.headers.origin;
    // Another live node's page (the cluster's redirect) is asked of the directory only when nothing else admits it.
    if (
      !originAllowed(origin, request.headers.host, { allowed: config.allowedOrigins, publicUrl: config.publicUrl }) &&
      !(origin !== undefined && (await cluster.isNodeOrigin(origin)))
    ) {
      log.warn("connection refused: origin not allowed", { origin: origin?.slice(0, 200), address: request.socket.remoteAddress });
      media.socketRefused("origin");
      return refuseUpgrade(
        socket,
        "403 Forbidden",
        `forbidden-origin: pages from ${origin?.slice(0, 200)} may not connect; add the origin to ALLOWED_ORIGINS\n`,
      );
    }
    if (this.deps.closing() || socket.destroyed) return void socket.destroy();
    this.wss.handleUpgrade(request, socket, head, (ws) => this.admit(ws, request.socket.remoteAddress ?? "unknown"));
  };

  /** Tells every session the server is stopping (fatal: each answers with `bye` and closes). */
  announceShutdown(): void {
    for (const session of this.sessions.values())
      session.send({ type: "error", code: "server-shutdown", message: "the server is stopping" });
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }

  /** Waits up to `handshakeMs` for the sockets' close handshakes, then cuts off the rest. */
  async close(handshakeMs: number): Promise<void> {
    this.stopHeartbeat();
    const deadline = Date.now() + handshakeMs;
    while (this.wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  /** Counted per address the socket comes from: behind a reverse proxy that is the proxy's (raise the cap). */
  private admit(ws: WebSocket, address: string): void {
    const { config, log, media } = this.deps;
    const open = this.connectionsByAddress.get(address) ?? 0;
    if (open >= config.maxConnectionsPerAddress) {
      log.warn("connection refused: too many from one address", { address, open });
      media.socketRefused("too-many-connections");
      // As a session refuses: the fatal error, then bye with its code (protocol/errorCodes.ts).
      const refusal: ServerMessage[] = [
        {
          type: "error",
          code: "too-many-connections",
          message: `at most ${config.maxConnectionsPerAddress} connections from one address are allowed`,
        },
        { type: "bye", reason: "too-many-connections" },
      ];
      for (const message of refusal) ws.send(JSON.stringify(message));
      ws.close(1008, "too-many-connections");
      return;
    }
    this.connectionsByAddress.set(address, open + 1);
    media.socketAccepted();
    ws.on("close", () => {
      const left = (this.connectionsByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.connectionsByAddress.set(address, left);
      else this.connectionsByAddress.delete(address);
    });
    this.alive.set(ws, true);
    ws.on("pong", () => this.alive.set(ws, true));
    this.sessions.set(ws, new SignalingSession(ws, this.deps.rooms, config, log, this.deps.cluster, media));
    ws.on("close", () => this.sessions.delete(ws));
  }

  private beat(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.get(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }
}

/** Answers an upgrade request with a plain HTTP refusal and closes the socket. */
function refuseUpgrade(socket: Duplex, status: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
