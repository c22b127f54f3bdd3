import { Counter, Histogram, type Registry } from "prom-client";
import { droppedPacketReasons, type DroppedPacketReason } from "../peers/peerConnection.js";

/** How a participant's media connection failed. */
export type ConnectionFailure = "ice" | "dtls" | "timeout";
/** RTCP feedback, as the server's peers see it: NACKs and PLIs from browsers, PLIs the server sends. */
export type Feedback = "nack-received" | "pli-received" | "pli-sent";

/**
 * Counters the rooms and the signaling server bump as things happen (monotonic, so `rate()` works, and kept
 * after a room closes), with no room or participant label: the label values are the fixed sets below.
 * Made before the registry they are exposed on (rooms need them, metrics need the rooms), then registered.
 */
export class MediaMetrics {
  // Bumped once per RTP packet: plain numbers, handed to prom-client only when scraped.
  private readonly packets = { audio: 0, video: 0 };
  private readonly rtp = new Counter({
    name: "tessera_rtp_packets_received_total",
    help: "RTP packets received from participants, by media kind",
    labelNames: ["kind"],
    registers: [],
    collect: () => {
      this.rtp.reset();
      this.rtp.inc({ kind: "audio" }, this.packets.audio);
      this.rtp.inc({ kind: "video" }, this.packets.video);
    },
  });
  // A flood is counted per datagram: plain numbers too.
  private readonly droppedCounts = new Map<DroppedPacketReason, number>(droppedPacketReasons.map((r) => [r, 0]));
  private readonly dropped = new Counter({
    name: "tessera_udp_packets_dropped_total",
    help: "Datagrams on participants' ICE ports dropped before anything came of them, by reason: STUN without valid MESSAGE-INTEGRITY, data from an address no connectivity check validated, DTLS records unauthenticated, malformed or past the fragment bounds, SRTP/SRTCP failing authentication or parsing",
    labelNames: ["reason"],
    registers: [],
    collect: () => {
      this.dropped.reset();
      for (const [reason, count] of this.droppedCounts) this.dropped.inc({ reason }, count);
    },
  });
  private readonly feedback = new Counter({
    name: "tessera_rtcp_feedback_total",
    help: "RTCP feedback: NACKs and PLIs received from participants, PLIs sent to their cameras",
    labelNames: ["type"],
    registers: [],
  });
  private readonly failures = new Counter({
    name: "tessera_connection_failures_total",
    help: "Participants' media connections that failed: ICE, DTLS, or not up within CONNECT_TIMEOUT_MS",
    labelNames: ["kind"],
    registers: [],
  });
  private readonly sockets = new Counter({
    name: "tessera_websocket_connections_total",
    help: "WebSocket connections accepted on /ws",
    registers: [],
  });
  private readonly socketsRefused = new Counter({
    name: "tessera_websocket_refused_total",
    help: "WebSocket connections refused, by reason",
    labelNames: ["reason"],
    registers: [],
  });
  private readonly joinsRefused = new Counter({
    name: "tessera_joins_refused_total",
    help: "Joins refused for their join token, by reason",
    labelNames: ["reason"],
    registers: [],
  });
  private readonly firstFrame = new Histogram({
    name: "tessera_join_to_first_frame_seconds",
    help: "From a participant's join to the first mixed video frame sent to them (MCU rooms)",
    buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20],
    registers: [],
  });

  constructor() {
    for (const type of ["nack-received", "pli-received", "pli-sent"]) this.feedback.inc({ type }, 0);
    for (const kind of ["ice", "dtls", "timeout"]) this.failures.inc({ kind }, 0);
  }

  register(registry: Registry): void {
    // prom-client types each metric by its label names; the registry takes any.
    const all = [
      this.rtp,
      this.dropped,
      this.feedback,
      this.failures,
      this.sockets,
      this.socketsRefused,
      this.joinsRefused,
      this.firstFrame,
    ] as unknown[];
    for (const m of all) registry.registerMetric(m as Parameters<Registry["registerMetric"]>[0]);
  }

  rtpPacket(kind: "audio" | "video"): void {
    this.packets[kind]++;
  }
  packetDropped(reason: DroppedPacketReason): void {
    this.droppedCounts.set(reason, (this.droppedCounts.get(reason) ?? 0) + 1);
  }
  rtcpFeedback(type: Feedback): void {
    this.feedback.inc({ type });
  }
  connectionFailed(kind: ConnectionFailure): void {
    this.failures.inc({ kind });
  }
  socketAccepted(): void {
    this.sockets.inc();
  }
  socketRefused(reason: "origin" | "too-many-connections" | "bad-request"): void {
    this.socketsRefused.inc({ reason });
  }
  joinRefused(reason: string): void {
    this.joinsRefused.inc({ reason });
  }
  firstMixedFrame(seconds: number): void {
    this.firstFrame.observe(seconds);
  }
}
