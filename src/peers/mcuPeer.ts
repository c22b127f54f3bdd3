import { MediaStreamTrack, type MediaStream, type RtpPacket } from "werift";
import { chooseMixCodec } from "./mixCodecChoice.js";
import { NegotiationError, PeerConnection, type PeerConfig } from "./peerConnection.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/**
 * A participant of an MCU room: their camera and microphone in, the room's mix out on one audio and one
 * video track that belong to this peer alone (a track shared between peers breaks retransmission in
 * werift 0.24), for the connection's whole life. It never renegotiates. The mix comes in the codec the
 * offer puts first of VP8 and H264 (see chooseMixCodec).
 */
export class McuPeer extends PeerConnection {
  private readonly videoOut = new MediaStreamTrack({ kind: "video" });
  private readonly audioOut = new MediaStreamTrack({ kind: "audio" });
  /** The codec this receiver takes the mix in, fixed by the answer; VP8 until then. */
  mixCodec: VideoCodec = "vp8";
  /**
   * False when the answer sends no video back: the offer's video section was sendonly (a WHIP encoder), so
   * no encoder need run for this peer. True until the answer.
   */
  receivesMix = true;

  constructor(config: PeerConfig) {
    // The audio level lets the MCU pick the active speaker from the sender's own measurement.
    super(config, true);
  }

  /** RTP of the room's mix: this peer's own packet object (copyForReceiver); werift stamps its SSRC and payload type. */
  sendVideo(packet: RtpPacket): void {
    if (!this.closed) this.videoOut.writeRtp(packet);
  }

  sendAudio(packet: Buffer): void {
    if (!this.closed) this.audioOut.writeRtp(packet);
  }

  protected addOutgoing(stream: MediaStream): void {
    if (this.videoTransceiver) this.pc.addTrack(this.videoOut, stream);
    if (this.pc.getTransceivers().some((t) => t.kind === "audio")) this.pc.addTrack(this.audioOut, stream);
  }

  /**
   * werift would send on the section's first negotiated codec; the mix goes out labelled as the entry
   * chooseMixCodec picked, whose payload type werift then stamps on each packet.
   */
  protected finishAnswer(sdp: string): string {
    const transceiver = this.videoTransceiver;
    if (!transceiver) return sdp;
    const choice = chooseMixCodec(transceiver.codecs);
    if (!choice)
      throw new NegotiationError(
        "no-usable-codec",
        "the mix is sent as VP8 or as H264 in packetization-mode 1, and the offer's video section has neither",
      );
    this.mixCodec = choice.codec;
    const direction = transceiver.currentDirection;
    this.receivesMix = direction === "sendonly" || direction === "sendrecv";
    transceiver.sender.codec = choice.entry;
    this.videoOut.codec = choice.entry;
    return sdp;
  }

  /** The room asks the mixer for a keyframe of the mix (one for every receiver, throttled there). */
  protected remoteKeyframeRequest(): void {
    if (!this.closed) this.emit("pictureLoss");
  }
}
