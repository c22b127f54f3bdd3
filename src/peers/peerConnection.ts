import { EventEmitter } from "node:events";
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  type RTCRtpTransceiver,
  RTP_EXTENSION_URI,
  type RtpPacket,
  useAudioLevelIndication,
  useH264,
  useOPUS,
  useTransportWideCC,
  useVP8,
} from "werift";
import type { IceCandidate } from "../../protocol/messages.js";
import { ProtocolError } from "../../protocol/protocolError.js";
import type { Config } from "../config.js";
import type { LinkEstimate } from "./linkEstimate.js";
import { LinkMonitor, type LinkReport, type PaddingSender } from "./linkMonitor.js";
import type { ProbeResult } from "./linkProbe.js";
import { disableImplicitStun } from "./noDefaultStun.js";
import { tooManySectionsReason, unusableOfferReason, withBundleOnlyOnBundlePort } from "./sdpCodecs.js";
import { applyFailureMessage, malformedOfferReason, RemoteCandidates } from "./offerChecks.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** Why werift (as patched: patches/) dropped a datagram on a participant's ICE port; the metric's label values. */
export const droppedPacketReasons = [
  "stun-unauthenticated",
  "unknown-source",
  "dtls-unauthenticated",
  "dtls-malformed",
  "dtls-fragment-limit",
  "srtp-unauthenticated",
  "srtp-malformed",
  "srtcp-unauthenticated",
  "srtcp-malformed",
] as const;
export type DroppedPacketReason = (typeof droppedPacketReasons)[number];

export type PeerEvents = {
  videoRtp: [packet: RtpPacket, codec: VideoCodec];
  /** `audioLevel`: the RFC 6464 header extension (0-127, -dBov) when the sender sends it. */
  audioRtp: [packet: RtpPacket, audioLevel: number | undefined];
  /** ICE or DTLS failed, or the connection closed: the participant is gone. */
  failed: [reason: string, kind: "ice" | "dtls"];
  /** A packet on the participant's ICE port was dropped before anything came of it (see DroppedPacketReason). */
  packetDropped: [reason: DroppedPacketReason];
  /** RTCP feedback on the participant's video: a NACK or PLI from them, or a PLI this peer sent. */
  feedback: [type: "nack-received" | "pli-received" | "pli-sent"];
  connected: [];
  /** The participant's end lost pictures of what we send it (RTCP PLI on its video section, or retransmissions we gave up). */
  pictureLoss: [];
  /** What the link to this participant carries now (every LinkMonitor interval, ~500 ms, once connected). */
  link: [estimate: LinkEstimate];
};

export class NegotiationError extends ProtocolError<
  "no-usable-codec" | "negotiation-failed" | "too-many-sections" | "bad-offer" | "bad-candidate"
> {}

const GATHERING_TIMEOUT_MS = 5000;
/**
 * A browser that leaves sends `leave` on its socket and then closes its peer connection, whose close_notify
 * may arrive first: a DTLS session the participant closed counts as a failure only if they are still here
 * this long after (then they lost their media while the socket stayed, and the page must reconnect).
 */
const DTLS_CLOSED_GRACE_MS = 2000;

export type PeerConfig = Pick<Config, "iceServers" | "iceHostAddresses" | "icePortRange">;

/**
 * One participant's werift peer connection, as every room mode needs it: the browser offers, we answer
 * with every server candidate already in the SDP, and the participant's own audio and video come out as
 * events. What the connection sends back is the mode's: McuPeer (the room's mix) or SfuPeer (the other
 * participants' streams).
 */
export abstract class PeerConnection extends EventEmitter<PeerEvents> {
  readonly pc: RTCPeerConnection;
  protected closed = false;
  /** The section the participant's camera arrives on (and, in an MCU, the mix leaves on). */
  protected videoTransceiver: RTCRtpTransceiver | undefined;
  /** Taken the participant's offer (refused or not): one offer per connection, a new one on a fresh peer. */
  private offerTaken = false;
  private failedOnce = false;
  private closedSessionTimer: NodeJS.Timeout | undefined;
  private inboundVideoSsrc: number | undefined;
  private readonly stunConfigured: boolean;
  /** werift 0.24 fires onTrack again for every sending m-section at each renegotiation: wire each track once. */
  private readonly wiredTracks = new WeakSet<MediaStreamTrack>();
  /** The link's estimate, and the retransmissions on it (taken over from werift: see LinkMonitor). */
  private readonly linkMonitor = new LinkMonitor();
  private readonly remoteCandidates = new RemoteCandidates();

  /** `audioLevels`: negotiate RFC 6464, for a room that picks its speaker from the senders' own measurement. */
  constructor(config: PeerConfig, audioLevels: boolean) {
    super();
    this.stunConfigured = config.iceServers.some((s) => s.urls.some((u) => u.startsWith("stun")));
    const restrictHosts = config.iceHostAddresses.length > 0;
    const firstIpv4 = config.iceHostAddresses.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    this.pc = new RTCPeerConnection({
      codecs: { video: [useVP8(), useH264()], audio: [useOPUS({ parameters: "minptime=10;useinbandfec=1" })] },
      headerExtensions: { video: [useTransportWideCC()], audio: audioLevels ? [useAudioLevelIndication()] : [] },
      iceServers: config.iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
      ...(restrictHosts
        ? {
            // Gather nothing from the OS interfaces; offer exactly the configured addresses, bound there.
            iceUseIpv4: false,
            iceUseIpv6: false,
            iceAdditionalHostAddresses: [...config.iceHostAddresses],
            iceInterfaceAddresses: firstIpv4 ? { udp4: firstIpv4 } : undefined,
          }
        : {}),
      ...(config.icePortRange ? { icePortRange: [config.icePortRange[0], config.icePortRange[1]] as [number, number] } : {}),
    });
    this.linkMonitor.on("link", (estimate) => this.emit("link", estimate));
    // Packets it asked for were given up: a keyframe now, rather than when its own request comes seconds later.
    this.linkMonitor.on("gaveUp", () => this.emit("pictureLoss"));
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.watchLink();
      if (state === "connected") this.emit("connected");
      // ICE up and the connection still failed: the DTLS handshake (or the transport under it) did.
      if (state === "failed")
        this.fail(
          "the connection failed (ICE or DTLS)",
          this.pc.iceConnectionState === "connected" || this.pc.iceConnectionState === "completed" ? "dtls" : "ice",
        );
    });
    this.pc.iceConnectionStateChange.subscribe((state) => {
      if (state === "failed") this.fail("ICE failed: no candidate pair works", "ice");
    });
  }

  /**
   * Anything this mode cannot take in the offer, as a sentence; undefined when it is fine. Neither mode
   * refuses more than `unusableOfferReason` does today: the MCU reads what its mix needs from werift's
   * negotiated codecs (finishAnswer), and the SFU forwards whatever was negotiated.
   */
  protected offerProblem(_offerSdp: string): string | undefined {
    return undefined;
  }

  /** The mode's own sending side, once the offer is applied (the MCU adds the mix's tracks). */
  protected abstract addOutgoing(stream: MediaStream): void;

  /** The mode's last word on the answer before it is sent. */
  protected abstract finishAnswer(sdp: string): string;

  /** The remote end asked for a keyframe on the participant's section (RTCP PLI). */
  protected abstract remoteKeyframeRequest(): void;

  /**
   * Whether this connection has taken the participant's offer, from the moment answer() starts: the one
   * record of "already offered" (the room and the signaling session ask it; a refused offer's peer is replaced).
   */
  get hasOffer(): boolean {
    return this.offerTaken;
  }

  /** Applies the browser's offer and returns the answer SDP (with candidates). */
  async answer(offerSdp: string): Promise<string> {
    if (this.offerTaken) throw new NegotiationError("negotiation-failed", "this connection is already negotiated");
    this.offerTaken = true;
    // Checked before werift sees the offer: it opens a UDP socket for every unbundled section.
    const tooMany = tooManySectionsReason(offerSdp);
    if (tooMany) throw new NegotiationError("too-many-sections", tooMany);
    const unusable = unusableOfferReason(offerSdp) ?? this.offerProblem(offerSdp);
    if (unusable) throw new NegotiationError("no-usable-codec", unusable);
    const malformed = malformedOfferReason(offerSdp);
    if (malformed) throw new NegotiationError("bad-offer", malformed);
    this.remoteCandidates.offered(offerSdp);

    this.pc.onTrack.subscribe((track) => this.receive(track));
    try {
      await this.pc.setRemoteDescription({ type: "offer", sdp: withBundleOnlyOnBundlePort(offerSdp) });
      this.videoTransceiver = this.pc.getTransceivers().find((t) => t.kind === "video");
      this.addOutgoing(new MediaStream({ id: "tessera-mix" }));
      if (this.videoTransceiver) this.watchReceiverRtcp(this.videoTransceiver);
      const answer = await this.pc.createAnswer();
      disableImplicitStun(this.pc, this.stunConfigured);
      await this.pc.setLocalDescription(answer);
      this.watchTransports();
      await this.gatheringComplete();
    } catch (err) {
      throw new NegotiationError("negotiation-failed", `could not apply the offer: ${applyFailureMessage(err)}`, { cause: err });
    }
    const local = this.pc.localDescription;
    if (!local) throw new NegotiationError("negotiation-failed", "no local description was produced");
    return this.finishAnswer(local.sdp);
  }

  async addRemoteCandidate(candidate: IceCandidate | null): Promise<void> {
    if (this.closed) return;
    const refused = candidate ? this.remoteCandidates.admit(candidate.candidate) : undefined;
    if (refused) throw new NegotiationError("bad-candidate", refused);
    await this.pc.addIceCandidate(candidate ?? undefined).catch((err: unknown) => {
      throw new NegotiationError("bad-candidate", `could not add the candidate: ${applyFailureMessage(err)}`, { cause: err });
    });
  }

  /** The link's figures (estimate, sending rate, retransmissions); undefined until connected. */
  get link(): LinkReport | undefined {
    return this.linkMonitor.attached ? this.linkMonitor.report : undefined;
  }

  /**
   * Probes the link to this participant at `targetBps` before the room moves them up a rung (LinkMonitor.probe):
   * undefined when no probe can run (then the room falls back on the estimate alone).
   */
  probeLink(targetBps: number, neededBps: number, pad: PaddingSender): Promise<ProbeResult | undefined> {
    return this.linkMonitor.probe(targetBps, neededBps, pad);
  }

  get isConnected(): boolean {
    return this.pc.connectionState === "connected";
  }

  /** Asks the participant's camera for a keyframe (RTCP PLI). */
  requestKeyframe(): void {
    const receiver = this.videoTransceiver?.receiver;
    if (receiver && this.inboundVideoSsrc !== undefined && !this.closed) {
      receiver.sendRtcpPLI(this.inboundVideoSsrc).catch(() => undefined);
      this.emit("feedback", "pli-sent");
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.linkMonitor.close();
    clearTimeout(this.closedSessionTimer);
    this.removeAllListeners();
    await this.pc.close().catch(() => undefined);
  }

  protected async gatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return;
    await Promise.race([
      this.pc.iceGatheringStateChange.watch((s) => s === "complete"),
      new Promise((resolve) => setTimeout(resolve, GATHERING_TIMEOUT_MS)),
    ]);
  }

  private receive(track: MediaStreamTrack): void {
    if (this.wiredTracks.has(track)) return;
    this.wiredTracks.add(track);
    if (track.kind === "video") {
      // Named by each packet's payload type, not by the track's first negotiated codec: a sender may send in
      // any codec of the answer (a browser's setParameters can switch it), and werift's track codec stays the first.
      const codecByPayloadType = new Map<number, VideoCodec>();
      track.onReceiveRtp.subscribe((packet) => {
        this.inboundVideoSsrc = packet.header.ssrc;
        const pt = packet.header.payloadType;
        let codec = codecByPayloadType.get(pt);
        if (codec === undefined) {
          const named = this.videoTransceiver?.codecs.find((c) => c.payloadType === pt) ?? track.codec;
          codec = named?.mimeType.toLowerCase() === "video/h264" ? "h264" : "vp8";
          codecByPayloadType.set(pt, codec);
        }
        this.emit("videoRtp", packet, codec);
      });
    } else {
      track.onReceiveRtp.subscribe((packet, extensions) => {
        const level = (extensions?.[RTP_EXTENSION_URI.audioLevelIndication] as { level?: unknown } | undefined)?.level;
        this.emit("audioRtp", packet, typeof level === "number" ? level : undefined);
      });
    }
  }

  private watchReceiverRtcp(transceiver: RTCRtpTransceiver): void {
    // A generic NACK (RFC 4585 RTPFB, FMT 1) names the lost packets' SSRC, which werift routes to the sender:
    // the browser lost packets of what this peer sends it (LinkMonitor answers it with paced retransmissions).
    transceiver.sender.onRtcp.subscribe((rtcp) => {
      if (rtcp.type === 205 && (rtcp as { feedback?: { count?: number } }).feedback?.count === 1) this.emit("feedback", "nack-received");
      // werift 0.24 routes a PLI by its sender SSRC first, then by its media SSRC. A receive-only browser sends
      // RTCP from SSRC 1 (libwebrtc's kDefaultRtcpReceiverReportSsrc), unknown here, so its PLI reaches the
      // sender, which only fires onPictureLossIndication: answered here as a sender's is.
      this.keyframeFeedback(rtcp);
    });
    // A sending participant's PLI names its own camera's SSRC, which werift routes to the receiver.
    transceiver.receiver.onRtcp.subscribe((rtcp) => this.keyframeFeedback(rtcp));
  }

  /** RTCP PLI (PSFB FMT 1) or FIR (FMT 4) on the participant's video section: they want a keyframe. */
  private keyframeFeedback(rtcp: { type: number }): void {
    const count = (rtcp as { feedback?: { count?: number } }).feedback?.count;
    if (rtcp.type === 206 && (count === 1 || count === 4)) {
      this.emit("feedback", "pli-received");
      this.remoteKeyframeRequest();
    }
  }

  /** Once DTLS is up: the link's estimate and the video section's retransmissions (LinkMonitor). */
  private watchLink(): void {
    const sender = this.videoTransceiver?.sender ?? this.pc.getTransceivers()[0]?.sender;
    const transport = sender?.dtlsTransport;
    if (transport && !this.closed) this.linkMonitor.attach(transport, this.videoTransceiver?.sender);
  }

  /**
   * The transports under the connection: a DTLS session the peer closed (close_notify) or that failed, or an
   * ICE transport that closed, ends the participant's media as surely as a failed connection, but werift's
   * connection state does not say so. Their drop counts go to the metrics.
   */
  private watchTransports(): void {
    for (const dtls of this.pc.dtlsTransports) {
      dtls.onStateChange.subscribe((state) => {
        if (state === "failed") this.fail("the DTLS session failed", "dtls");
        if (state === "closed" && !this.closedSessionTimer) {
          this.closedSessionTimer = setTimeout(() => this.fail("the participant closed the DTLS session", "dtls"), DTLS_CLOSED_GRACE_MS);
        }
      });
      dtls.onPacketDropped.subscribe((reason) => this.emit("packetDropped", reason));
      const ice = dtls.iceTransport;
      ice.connection.onPacketDropped.subscribe((reason) => this.emit("packetDropped", reason));
      // Its "failed" is the connection's iceConnectionState, handled in the constructor.
      ice.onStateChange.subscribe((state) => {
        if (state === "closed") this.fail("the ICE transport closed", "ice");
      });
    }
  }

  private fail(reason: string, kind: "ice" | "dtls"): void {
    // One failure per connection: the DTLS transport, the ICE transport and the connection state may all say it.
    if (this.closed || this.failedOnce) return;
    this.failedOnce = true;
    this.emit("failed", reason, kind);
  }
}
