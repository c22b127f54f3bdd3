import { MediaStream, MediaStreamTrack, type RTCRtpTransceiver } from "werift";
import { NegotiationError, PeerConnection, type PeerConfig } from "./peerConnection.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** One other participant's audio and video, forwarded to this peer on tracks of its own. */
export interface ForwardedStream {
  readonly audio: MediaStreamTrack;
  readonly video: MediaStreamTrack;
  readonly transceivers: readonly RTCRtpTransceiver[];
}

/** One frame at 30 fps on the 90 kHz video clock; one 20 ms Opus packet at 48 kHz. */
const VIDEO_FRAME_TICKS = 3000;
const AUDIO_FRAME_TICKS = 960;

/** A forward plus the codec its video was last labelled with, so the per-packet check is one comparison. */
interface Forward extends ForwardedStream {
  readonly videoTransceiver: RTCRtpTransceiver;
  labelled?: { readonly codec: VideoCodec; readonly params: RTCRtpTransceiver["codecs"][number] };
}

/**
 * werift writes port 0 on every inactive m-section, which browsers read as "rejected". An SFU viewer's
 * first answer is all inactive (there is nothing to send it yet), so with port 0 its transport would never
 * come up. Port 9 keeps the sections accepted-but-inactive, as RFC 8829 answers them.
 */
export function acceptInactiveSections(sdp: string): string {
  return sdp.replace(/^m=(audio|video) 0 /gm, "m=$1 9 ");
}

/**
 * A participant of an SFU room: their own media in (answered receive-only), the other senders' streams
 * out on sendonly sections the server adds with forwards and offers (one renegotiation at a time, from the
 * room). A keyframe request from this participant for a forwarded stream goes to `onKeyframeRequest`.
 */
export class SfuPeer extends PeerConnection {
  private readonly forwards = new Map<string, Forward>();

  /**
   * `onKeyframeRequest`: this participant asked the forwarded stream of `sourceId` for a keyframe.
   * `preferH264`: asked when this participant's offer is answered; true puts H264 first in the answer.
   */
  constructor(
    config: PeerConfig,
    private readonly onKeyframeRequest: (sourceId: string) => void,
    private readonly preferH264: () => boolean = () => false,
  ) {
    // An SFU forwards packets as they are: it has no use for the senders' audio levels.
    super(config, false);
  }

  /** Adds sendonly audio and video for `sourceId` (stream id = that participant's id). Renegotiate after. */
  addForward(sourceId: string): ForwardedStream {
    const existing = this.forwards.get(sourceId);
    if (existing) return existing;
    const stream = new MediaStream({ id: sourceId });
    const audio = new MediaStreamTrack({ kind: "audio" });
    const video = new MediaStreamTrack({ kind: "video" });
    const transceivers = [audio, video].map((track) => this.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] }));
    for (const t of transceivers) {
      t.sender.onPictureLossIndication.subscribe(() => this.onKeyframeRequest(sourceId));
    }
    const forward: Forward = { audio, video, transceivers, videoTransceiver: transceivers[1] };
    this.forwards.set(sourceId, forward);
    return forward;
  }

  forward(sourceId: string): ForwardedStream | undefined {
    return this.forwards.get(sourceId);
  }

  /**
   * The source's stream started over (their page came back on a fresh peer connection: new SSRC, new
   * sequence numbers and timestamps). This receiver's numbering carries on from its last packet, so its
   * browser sees one continuous stream rather than a jump it might take for reordering.
   */
  sourceRestarted(sourceId: string, kind: "audio" | "video", first: { sequenceNumber: number; timestamp: number }): void {
    const track = this.forwards.get(sourceId)?.[kind];
    // werift makes the next packet continue the last one's sequence number: step back one packet's worth.
    const step = kind === "video" ? VIDEO_FRAME_TICKS : AUDIO_FRAME_TICKS;
    track?.onSourceChanged.execute({ sequenceNumber: (first.sequenceNumber - 1) & 0xffff, timestamp: (first.timestamp - step) >>> 0 });
  }

  /**
   * Labels a forwarded source's video with the codec it is really in. werift sends on a section with
   * its first negotiated codec (the server offers VP8 first), so an H264 source would go out labelled VP8.
   * False when this peer did not negotiate that codec there: it could not decode the packets anyway.
   */
  labelForwardedVideo(sourceId: string, codec: VideoCodec): boolean {
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

  /** The source left; its m-sections go inactive at the next renegotiation. */
  removeForward(sourceId: string): void {
    const forward = this.forwards.get(sourceId);
    if (!forward) return;
    this.forwards.delete(sourceId);
    for (const t of forward.transceivers) {
      void t.sender.replaceTrack(null).catch(() => undefined);
      t.setDirection("inactive");
    }
  }

  /** A server-initiated offer reflecting the current forwards. */
  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.gatheringComplete();
    const local = this.pc.localDescription;
    if (!local) throw new NegotiationError("negotiation-failed", "no local offer was produced");
    return local.sdp;
  }

  async applyAnswer(sdp: string): Promise<void> {
    if (this.pc.signalingState !== "have-local-offer")
      throw new NegotiationError("negotiation-failed", "no server offer is waiting for an answer");
    try {
      await this.pc.setRemoteDescription({ type: "answer", sdp });
    } catch (err) {
      throw new NegotiationError("negotiation-failed", `could not apply the answer: ${(err as Error).message}`);
    }
  }

  /**
   * Whether this participant can receive VP8, from the video codecs its offer left negotiated (undefined before
   * it offered). An H264-only device cannot: the SFU does not transcode, so it sees only senders who send H264.
   */
  get receivesVp8(): boolean | undefined {
    const codecs = this.videoTransceiver?.codecs;
    return codecs ? codecs.some((c) => c.mimeType.toLowerCase() === "video/vp8") : undefined;
  }

  /**
   * Receive only at first: what this peer gets arrives on forwards, after renegotiation. When the room asks for
   * it (someone there cannot receive VP8), H264 goes first in the answer: a browser sends the first codec of the
   * answer it can, so this participant's camera comes as H264, which every receiver can take.
   */
  protected addOutgoing(): void {
    const transceiver = this.videoTransceiver;
    if (!transceiver || !this.preferH264()) return;
    const h264 = (c: { mimeType: string }) => c.mimeType.toLowerCase() === "video/h264";
    transceiver.codecs = [...transceiver.codecs.filter(h264), ...transceiver.codecs.filter((c) => !h264(c))];
  }

  protected finishAnswer(sdp: string): string {
    return acceptInactiveSections(sdp);
  }

  /** Which forwarded stream it was meant for cannot be told on the shared section: ask them all. */
  protected remoteKeyframeRequest(): void {
    for (const sourceId of this.forwards.keys()) this.onKeyframeRequest(sourceId);
  }
}
