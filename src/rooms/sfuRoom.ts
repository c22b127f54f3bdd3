import type { RtpPacket } from "werift";
import { copyForReceiver } from "../peers/rtpCopy.js";
import type { Role } from "../../protocol/messages.js";
import { PeerRoom } from "./peerRoom.js";
import type { RoomCapabilities, ServerOffers } from "./capabilities.js";
import type { AdmitResult, ConferenceRoom } from "./conferenceRoom.js";
import type { Participant, ParticipantChannel } from "./participant.js";
import type { ForwardingPeer } from "./roomMedia.js";
import { RoomScreenShare } from "./screenShare.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

interface SfuParticipant extends Participant<ForwardingPeer> {
  /** A server offer is out and its answer has not come back. */
  negotiating: boolean;
  /** The forwards changed while an offer was out: offer again once it is answered. */
  renegotiateAfter: boolean;
}

/** How often a source is asked for a keyframe at most, however many receivers ask. */
const KEYFRAME_THROTTLE_MS = 300;

/**
 * An SFU room: each sender's RTP is forwarded, undecoded, to every other participant on tracks of that
 * receiver's own (a track shared between peers breaks werift's retransmission). Joins and leaves add or
 * retire m-sections and renegotiate with a server offer; receivers' keyframe requests reach the sender.
 */
export class SfuRoom extends PeerRoom<SfuParticipant> implements ConferenceRoom, ServerOffers {
  readonly mode = "sfu";
  /** The room's one screen share, forwarded to everyone else as a stream of its own (its id: screenSourceId). */
  private readonly screens = new RoomScreenShare({
    roomName: this.name,
    policy: this.config.screenSharePolicy ?? "refuse",
    connectTimeoutMs: this.config.connectTimeoutMs,
    createPeer: () => this.createPeer(),
    sink: {
      added: (sourceId) => this.forwardScreen(sourceId),
      removed: (sourceId) => this.retireSource(sourceId),
      video: (sourceId, packet, codec) => this.fanOut(sourceId, "video", packet, codec),
      audio: (sourceId, packet) => this.fanOut(sourceId, "audio", packet),
    },
    member: (id) => this.members.get(id),
    broadcast: (message) => {
      for (const p of this.members.values()) p.channel.send(message);
    },
    log: this.log,
    faults: this.faults,
  });
  readonly capabilities: RoomCapabilities = { negotiation: this, serverOffers: this, links: this, screenShare: this.screens };
  private readonly lastKeyframeRequest = new Map<string, number>();
  /** The SSRC each source's audio and video last arrived with ("id:kind"). */
  private readonly sourceSsrcs = new Map<string, number>();

  admit(name: string, role: Role, channel: ParticipantChannel, identity?: string): AdmitResult {
    const refusal = this.refuseIfFull(role);
    if (refusal) return refusal;
    const p: SfuParticipant = {
      ...this.newMember(name, role, channel, identity),
      peer: this.createPeer(),
      videoCodecSeen: undefined,
      negotiating: false,
      renegotiateAfter: false,
    };
    this.attachNewParticipant(p);
    return this.enrol(p);
  }

  async answer(id: string, sdp: string): Promise<void> {
    const p = this.members.get(id);
    if (!p) return;
    await p.peer.applyAnswer(sdp);
    p.negotiating = false;
    for (const sourceId of this.forwardedTo(p)) this.requestKeyframe(sourceId);
    if (p.renegotiateAfter) void this.renegotiate(p);
  }

  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    this.recordMute(id, mute);
  }

  async remove(id: string, reason: string): Promise<void> {
    const p = this.forget(id, reason);
    if (!p) return;
    this.screens.stopScreen(id, "the sharer left");
    this.log.info("participant left", { participant: id, reason });
    // Closing starts before anything is awaited: a join arriving meanwhile gets a fresh room.
    if (this.members.size === 0) {
      await Promise.all([this.close(), this.releasePeer(p)]);
      return;
    }
    await this.releasePeer(p);
    this.retireSource(id);
    this.broadcastRoster();
  }

  /** Their connection dropped: a share of theirs ends with it. */
  protected override async onDisconnected(p: SfuParticipant, reason: string): Promise<void> {
    this.screens.stopScreen(p.id, "the sharer's connection dropped");
    await super.onDisconnected(p, reason);
  }

  protected override async releaseMedia(): Promise<void> {
    await this.screens.close();
  }

  /** A source (a participant, or a screen) is gone: its m-sections are retired from every receiver. */
  private retireSource(sourceId: string): void {
    this.sourceSsrcs.delete(`${sourceId}:audio`);
    this.sourceSsrcs.delete(`${sourceId}:video`);
    for (const other of this.members.values()) {
      if (!other.peer.forward(sourceId)) continue;
      other.peer.removeForward(sourceId);
      void this.renegotiate(other);
    }
  }

  /** A screen share began: everyone connected but its sharer gets it as a stream of its own. */
  private forwardScreen(sourceId: string): void {
    const owner = this.screens.screenSharer;
    for (const other of this.members.values()) {
      if (other.id === owner || !other.peer.isConnected || !receivesForwards(other) || other.peer.forward(sourceId)) continue;
      other.peer.addForward(sourceId);
      void this.renegotiate(other);
    }
  }

  /**
   * A sender whose offer comes while someone in the room cannot receive VP8 (an H264-only device) is answered
   * H264 first, so that everyone can decode their camera. One who was sending before keeps their codec: the
   * H264-only participant gets no picture of a VP8 sender (an SFU forwards, it does not transcode).
   */
  protected createPeer(): ForwardingPeer {
    return this.context.media.sfuPeer(
      this.config,
      (sourceId) => this.requestKeyframe(sourceId),
      () => [...this.members.values()].some((m) => m.peer.receivesVp8 === false),
    );
  }

  protected wirePeer(p: SfuParticipant): void {
    const { peer } = p;
    // A fresh peer (after a rejected offer) has no server offer out yet.
    p.negotiating = false;
    p.renegotiateAfter = false;
    if (p.role === "sender") {
      // Each receiver gets its own copy of the packet: werift stamps and keeps the object it is given.
      peer.on(
        "videoRtp",
        this.faults.wrap("forwarding video", (packet: RtpPacket, codec: VideoCodec) => this.fanOut(p.id, "video", packet, codec)),
      );
      peer.on(
        "audioRtp",
        this.faults.wrap("forwarding audio", (packet: RtpPacket) => this.fanOut(p.id, "audio", packet)),
      );
    }
    peer.on(
      "connected",
      this.faults.wrap("peer connected", () => this.onConnected(p)),
    );
  }

  /** Once a participant's connection is up: they receive every other sender, and others receive them. */
  private onConnected(p: SfuParticipant): void {
    if (!this.members.has(p.id)) return;
    let added = false;
    for (const other of this.members.values()) {
      if (other === p) continue;
      if (other.role === "sender" && receivesForwards(p) && !p.peer.forward(other.id)) {
        p.peer.addForward(other.id);
        added = true;
      }
      if (p.role === "sender" && other.peer.isConnected && receivesForwards(other) && !other.peer.forward(p.id)) {
        other.peer.addForward(p.id);
        void this.renegotiate(other);
      }
    }
    // A screen shared before this participant's connection came up.
    const screen = this.screens.tileId;
    if (screen !== undefined && this.screens.screenSharer !== p.id && receivesForwards(p) && !p.peer.forward(screen)) {
      p.peer.addForward(screen);
      added = true;
    }
    if (added) void this.renegotiate(p);
  }

  private fanOut(sourceId: string, kind: "audio" | "video", packet: RtpPacket, videoCodec?: VideoCodec): void {
    // A new SSRC from the same participant: their page came back on a fresh peer (a reconnect).
    const stream = `${sourceId}:${kind}`;
    const previousSsrc = this.sourceSsrcs.get(stream);
    const restarted = previousSsrc !== undefined && previousSsrc !== packet.header.ssrc;
    this.sourceSsrcs.set(stream, packet.header.ssrc);
    for (const receiver of this.members.values()) {
      const forward = receiver.peer.forward(sourceId);
      if (!forward) continue;
      if (restarted) receiver.peer.sourceRestarted(sourceId, kind, packet.header);
      // No transcoding: a receiver that did not negotiate the source's codec gets none of its video.
      if (videoCodec && !receiver.peer.labelForwardedVideo(sourceId, videoCodec)) continue;
      forward[kind].writeRtp(copyForReceiver(packet));
    }
  }

  private async renegotiate(p: SfuParticipant): Promise<void> {
    if (!this.members.has(p.id)) return;
    if (p.negotiating) {
      p.renegotiateAfter = true;
      return;
    }
    p.negotiating = true;
    p.renegotiateAfter = false;
    try {
      const sdp = await p.peer.createOffer();
      p.channel.send({ type: "offer", sdp });
    } catch (err) {
      p.negotiating = false;
      this.log.warn("renegotiation failed", { participant: p.id, error: (err as Error).message });
    }
  }

  private forwardedTo(p: SfuParticipant): string[] {
    return [...this.members.keys()].filter((id) => p.peer.forward(id));
  }

  private requestKeyframe(sourceId: string): void {
    const now = performance.now();
    if (now - (this.lastKeyframeRequest.get(sourceId) ?? -Infinity) < KEYFRAME_THROTTLE_MS) return;
    this.lastKeyframeRequest.set(sourceId, now);
    if (!this.screens.requestKeyframe(sourceId)) this.members.get(sourceId)?.peer.requestKeyframe();
  }
}

/** A WHIP sender's session takes no server offer: it sends into the room and is sent nothing (participant.ts). */
function receivesForwards(p: SfuParticipant): boolean {
  return p.channel.renegotiates !== false;
}
