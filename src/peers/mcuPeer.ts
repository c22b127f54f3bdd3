import { MediaStreamTrack, type MediaStream, type RtpPacket } from "werift";
import { NegotiationError, PeerConnection, type PeerConfig } from "./peerConnection.js";
import { offerCodecs } from "./sdpCodecs.js";

/**
 * A participant of an MCU room: their camera and microphone in, the room's mix out on one audio and one
 * video track that belong to this peer alone (a track shared between peers breaks retransmission in
 * werift 0.24), for the connection's whole life. It never renegotiates.
 */
export class McuPeer extends PeerConnection {
  private readonly videoOut = new MediaStreamTrack({ kind: "video" });
  private readonly audioOut = new MediaStreamTrack({ kind: "audio" });

  constructor(config: PeerConfig) {
    // The audio level lets the MCU pick the active speaker from the sender's own measurement.
    super(config, true);
  }

  /** RTP of the room's mix: this peer's own packet object (copyForReceiver) or bytes; werift stamps its SSRC and payload type. */
  sendVideo(packet: RtpPacket | Buffer): void {
    if (!this.closed) this.videoOut.writeRtp(packet);
  }

  sendAudio(packet: Buffer): void {
    if (!this.closed) this.audioOut.writeRtp(packet);
  }

  protected offerProblem(offerSdp: string): string | undefined {
    if (offerCodecs(offerSdp).video.includes("VP8")) return undefined;
    return "the offer's video section has no VP8: the mixed video is VP8 (H264 is accepted for sending, alongside VP8)";
  }

  protected addOutgoing(stream: MediaStream): void {
    if (this.videoTransceiver) this.pc.addTrack(this.videoOut, stream);
    if (this.pc.getTransceivers().some((t) => t.kind === "audio")) this.pc.addTrack(this.audioOut, stream);
  }

  /**
   * werift sends on a section with its first negotiated codec, which is the browser's first choice: H264
   * for Safari. The mix is always VP8, so label it VP8; the browser may still send in H264.
   */
  protected finishAnswer(sdp: string): string {
    const transceiver = this.videoTransceiver;
    if (!transceiver) return sdp;
    const vp8 = transceiver.codecs.find((c) => c.mimeType.toLowerCase() === "video/vp8");
    if (!vp8) throw new NegotiationError("no-usable-codec", "the mixed video is VP8, and the offer's video section has no VP8");
    transceiver.sender.codec = vp8;
    this.videoOut.codec = vp8;
    return sdp;
  }

  /** The room asks the mixer for a keyframe of the mix (one for every receiver, throttled there). */
  protected remoteKeyframeRequest(): void {
    if (!this.closed) this.emit("pictureLoss");
  }
}
