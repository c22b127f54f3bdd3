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
import type { Config } from "../config.js";
import { disableImplicitStun } from "./noDefaultStun.js";
import { offerCodecs, tooManySectionsReason, unusableOfferReason } from "./sdpCodecs.js";

export type InboundVideoCodec = "vp8" | "h264";

type PeerSessionEvents = {
  videoRtp: [packet: RtpPacket, codec: InboundVideoCodec];
  /** `audioLevel`: the RFC 6464 header extension (0-127, -dBov) when the sender sends it. */
  audioRtp: [packet: RtpPacket, audioLevel: number | undefined];
  /** SFU: the remote end asked a forwarded stream for a keyframe. */
  pliForForward: [sourceId: string];
  /** ICE or DTLS failed, or the connection closed: the participant is gone. */
  failed: [reason: string];
  connected: [];
};

/**
 * werift writes port 0 on every inactive m-section, which browsers read as "rejected". An SFU viewer's
 * first answer is all inactive (there is nothing to send it yet), so with port 0 its transport would never
 * come up. Port 9 keeps the sections accepted-but-inactive, as RFC 8829 answers them.
 */
export function acceptInactiveSections(sdp: string): string {
  return sdp.replace(/^m=(audio|video) 0 /gm, "m=$1 9 ");
}

export class NegotiationError extends Error {
  constructor(
    readonly code: "no-usable-codec" | "negotiation-failed" | "too-many-sections",
    message: string,
  ) {
    super(message);
  }
}

const GATHERING_TIMEOUT_MS = 5000;

export interface PeerSessionOptions {
  /** MCU: answer with one outgoing audio and video track carrying the room's mix. SFU: receive only. */
  readonly mixedOutput: boolean;
}

/** SFU: one other participant's audio and video, forwarded to this peer on tracks of its own. */
export interface ForwardedStream {
  readonly audio: MediaStreamTrack;
  readonly video: MediaStreamTrack;
  readonly transceivers: readonly RTCRtpTransceiver[];
}

/** A forward plus the codec its video was last labelled with, so the per-packet check is one comparison. */
interface Forward extends ForwardedStream {
  readonly videoTransceiver: RTCRtpTransceiver;
  labelled?: { readonly codec: InboundVideoCodec; readonly params: RTCRtpTransceiver["codecs"][number] };
}

/**
 * One participant's werift peer connection. The browser offers, we answer with every server candidate
 * already in the SDP. Outgoing tracks belong to this peer alone (a track shared between peers breaks
 * retransmission in werift 0.24), and carry the room's mixed media for the connection's whole life.
 */
export class PeerSession extends EventEmitter<PeerSessionEvents> {
  readonly pc: RTCPeerConnection;
  private readonly videoOut = new MediaStreamTrack({ kind: "video" });
  private readonly audioOut = new MediaStreamTrack({ kind: "audio" });
  private negotiated = false;
  private closed = false;
  private videoTransceiver: RTCRtpTransceiver | undefined;
  private inboundVideoSsrc: number | undefined;
  private readonly stunConfigured: boolean;
  private readonly forwards = new Map<string, Forward>();
  /** werift 0.24 fires onTrack again for every sending m-section at each renegotiation: wire each track once. */
  private readonly wiredTracks = new WeakSet<MediaStreamTrack>();

  constructor(
    config: Pick<Config, "iceServers" | "iceHostAddresses" | "icePortRange">,
    private readonly options: PeerSessionOptions = { mixedOutput: true },
  ) {
    super();
    this.stunConfigured = config.iceServers.some((s) => s.urls.some((u) => u.startsWith("stun")));
    const restrictHosts = config.iceHostAddresses.length > 0;
    const firstIpv4 = config.iceHostAddresses.find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
    this.pc = new RTCPeerConnection({
      codecs: { video: [useVP8(), useH264()], audio: [useOPUS()] },
      // The audio level lets the MCU pick the active speaker from the sender's own measurement. Only the MCU
      // asks for it: an SFU forwards packets as they are and has no use for it.
      headerExtensions: { video: [useTransportWideCC()], audio: options.mixedOutput ? [useAudioLevelIndication()] : [] },
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
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.emit("connected");
      if (state === "failed") this.fail("the connection failed (ICE or DTLS)");
    });
    this.pc.iceConnectionStateChange.subscribe((state) => {
      if (state === "failed") this.fail("ICE failed: no candidate pair works");
    });
  }

  /** Applies the browser's offer and returns the answer SDP (with candidates). */
  async answer(offerSdp: string): Promise<string> {
    if (this.negotiated) throw new NegotiationError("negotiation-failed", "this connection is already negotiated");
    this.negotiated = true;
    const tooMany = tooManySectionsReason(offerSdp);
    if (tooMany) throw new NegotiationError("too-many-sections", tooMany);
    const unusable = unusableOfferReason(offerSdp);
    if (unusable) throw new NegotiationError("no-usable-codec", unusable);
    if (this.options.mixedOutput && !offerCodecs(offerSdp).video.includes("VP8")) {
      throw new NegotiationError("no-usable-codec", "the offer's video section has no VP8: the mixed video is VP8 (H264 is accepted for sending, alongside VP8)");
    }

    this.pc.onTrack.subscribe((track) => this.receive(track));
    try {
      await this.pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      const stream = new MediaStream({ id: "tessera-mix" });
      for (const transceiver of this.pc.getTransceivers()) {
        if (transceiver.kind === "video" && !this.videoTransceiver) {
          this.videoTransceiver = transceiver;
          if (this.options.mixedOutput) this.pc.addTrack(this.videoOut, stream);
        } else if (transceiver.kind === "audio" && this.options.mixedOutput) {
          this.pc.addTrack(this.audioOut, stream);
        }
      }
      if (this.videoTransceiver) this.watchReceiverRtcp(this.videoTransceiver);
      const answer = await this.pc.createAnswer();
      disableImplicitStun(this.pc, this.stunConfigured);
      await this.pc.setLocalDescription(answer);
      await this.gatheringComplete();
    } catch (err) {
      throw new NegotiationError("negotiation-failed", `could not apply the offer: ${(err as Error).message}`);
    }
    if (this.options.mixedOutput && this.videoTransceiver) this.sendMixAsVp8(this.videoTransceiver);
    const local = this.pc.localDescription;
    if (!local) throw new NegotiationError("negotiation-failed", "no local description was produced");
    return this.options.mixedOutput ? local.sdp : acceptInactiveSections(local.sdp);
  }

  /**
   * werift sends on a section with its first negotiated codec, which is the browser's first choice: H264
   * for Safari. The mix is always VP8, so label it VP8; the browser may still send in H264.
   */
  private sendMixAsVp8(transceiver: RTCRtpTransceiver): void {
    const vp8 = transceiver.codecs.find((c) => c.mimeType.toLowerCase() === "video/vp8");
    if (!vp8) throw new NegotiationError("no-usable-codec", "the mixed video is VP8, and the offer's video section has no VP8");
    transceiver.sender.codec = vp8;
    this.videoOut.codec = vp8;
  }

  async addRemoteCandidate(candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null): Promise<void> {
    if (this.closed) return;
    await this.pc.addIceCandidate(candidate ?? undefined);
  }

  /** RTP of the room's mix: this peer's own packet object (copyForReceiver) or bytes; werift stamps its SSRC and payload type. */
  sendVideo(packet: RtpPacket | Buffer): void {
    if (!this.closed) this.videoOut.writeRtp(packet);
  }

  sendAudio(packet: Buffer): void {
    if (!this.closed) this.audioOut.writeRtp(packet);
  }

  /** SFU: adds sendonly audio and video for `sourceId` (stream id = that participant's id). Renegotiate after. */
  addForward(sourceId: string): ForwardedStream {
    const existing = this.forwards.get(sourceId);
    if (existing) return existing;
    const stream = new MediaStream({ id: sourceId });
    const audio = new MediaStreamTrack({ kind: "audio" });
    const video = new MediaStreamTrack({ kind: "video" });
    const transceivers = [audio, video].map((track) => this.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] }));
    for (const t of transceivers) {
      t.sender.onPictureLossIndication.subscribe(() => this.emit("pliForForward", sourceId));
    }
    const forward: Forward = { audio, video, transceivers, videoTransceiver: transceivers[1] };
    this.forwards.set(sourceId, forward);
    return forward;
  }

  forward(sourceId: string): ForwardedStream | undefined {
    return this.forwards.get(sourceId);
  }

  /**
   * SFU: label a forwarded source's video with the codec it is really in. werift sends on a section with
   * its first negotiated codec (the server offers VP8 first), so an H264 source would go out labelled VP8.
   * False when this peer did not negotiate that codec there: it could not decode the packets anyway.
   */
  labelForwardedVideo(sourceId: string, codec: InboundVideoCodec): boolean {
    const forward = this.forwards.get(sourceId);
    if (!forward) return false;
    const { sender, codecs } = forward.videoTransceiver;
    // A renegotiation makes werift pick the section's first codec again: relabel only when that happened.
    if (forward.labelled?.codec === codec && sender.codec === forward.labelled.params) return true;
    const params = codecs.find((c) => c.mimeType.toLowerCase() === `video/${codec}`);
    if (!params) return false;
    sender.codec = params;
    forward.video.codec = params;
    forward.labelled = { codec, params };
    return true;
  }


  /** SFU: the source left; its m-sections go inactive at the next renegotiation. */
  removeForward(sourceId: string): void {
    const forward = this.forwards.get(sourceId);
    if (!forward) return;
    this.forwards.delete(sourceId);
    for (const t of forward.transceivers) {
      void t.sender.replaceTrack(null).catch(() => undefined);
      t.setDirection("inactive");
    }
  }

  /** SFU: a server-initiated offer reflecting the current forwards. */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.gatheringComplete();
    const local = this.pc.localDescription;
    if (!local) throw new NegotiationError("negotiation-failed", "no local offer was produced");
    return local.sdp;
  }

  async applyAnswer(sdp: string): Promise<void> {
    if (this.pc.signalingState !== "have-local-offer") throw new NegotiationError("negotiation-failed", "no server offer is waiting for an answer");
    try {
      await this.pc.setRemoteDescription({ type: "answer", sdp });
    } catch (err) {
      throw new NegotiationError("negotiation-failed", `could not apply the answer: ${(err as Error).message}`);
    }
  }

  get isConnected(): boolean {
    return this.pc.connectionState === "connected";
  }

  requestKeyframe(): void {
    const receiver = this.videoTransceiver?.receiver;
    if (receiver && this.inboundVideoSsrc !== undefined && !this.closed) {
      receiver.sendRtcpPLI(this.inboundVideoSsrc).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    await this.pc.close().catch(() => undefined);
  }

  private receive(track: MediaStreamTrack): void {
    if (this.wiredTracks.has(track)) return;
    this.wiredTracks.add(track);
    if (track.kind === "video") {
      // The codec is fixed by negotiation: name it again only when werift's codec object changes.
      let namedFor: MediaStreamTrack["codec"];
      let codec: InboundVideoCodec = "vp8";
      track.onReceiveRtp.subscribe((packet) => {
        this.inboundVideoSsrc = packet.header.ssrc;
        if (track.codec !== namedFor) {
          namedFor = track.codec;
          codec = namedFor?.mimeType.toLowerCase() === "video/h264" ? "h264" : "vp8";
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
    // werift 0.24 routes a remote PLI on a sendrecv transceiver to the receiver, not the sender.
    transceiver.receiver.onRtcp.subscribe((rtcp) => {
      const feedback = (rtcp as { feedback?: { count?: number } }).feedback;
      // In an SFU it may have been meant for any forwarded stream: which one cannot be told here. (In an
      // MCU there is nothing to do: the mix has a keyframe every KEYFRAME_INTERVAL_MS anyway.)
      if (rtcp.type === 206 && feedback?.count === 1) {
        for (const sourceId of this.forwards.keys()) this.emit("pliForForward", sourceId);
      }
    });
  }

  private async gatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return;
    await Promise.race([
      this.pc.iceGatheringStateChange.watch((s) => s === "complete"),
      new Promise((resolve) => setTimeout(resolve, GATHERING_TIMEOUT_MS)),
    ]);
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.emit("failed", reason);
  }
}
