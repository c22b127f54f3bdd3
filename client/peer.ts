// The one RTCPeerConnection to the server (mcu and sfu rooms): local tracks or receive-only
// transceivers, the offer, trickled candidates, and the remote tracks coming back.

import { preferServerCodecs } from "./codecs.js";
import { withPlaceholders, type Placeholders } from "./placeholder.js";
import type { IceCandidate } from "../protocol/messages.js";
import { errorDetail, text } from "./i18n/text.js";
import type { MediaContext, MediaEvents, MediaStatus } from "./roomMedia.js";

export interface PeerHandlers {
  /** A local candidate to trickle; null once gathering is complete. Only called after the offer went out. */
  onCandidate(candidate: IceCandidate | null): void;
  /** A remote track arrived: the mixed stream's (mcu) or another participant's (sfu). */
  onTrack(event: RTCTrackEvent): void;
  onConnectionState(state: RTCPeerConnectionState): void;
}

/**
 * Adds the microphone and camera (VP8 preferred); returns the camera's sender, if any. With `receiveMissing`, a
 * kind the stream lacks (sound only: no camera, or it was denied) gets a receive-only transceiver, so that the
 * offer still asks for it: the MCU sends the mix back on the sender's own transceivers, and a mesh caller must ask
 * for the other's video. An SFU forwards on m-sections of its own offers, and keeps the order of the first ones.
 * `toServer`: the other end is the server, which takes VP8 and H264 only (codecs.ts); false for a mesh peer.
 */
export function addLocalTracks(pc: RTCPeerConnection, stream: MediaStream, receiveMissing = true, toServer = true): RTCRtpSender | null {
  const prefer = (transceiver: RTCRtpTransceiver, sends: boolean) => {
    if (toServer) preferServerCodecs(transceiver, sends);
  };
  let videoSender: RTCRtpSender | null = null;
  // Audio first, then video, as a sender with both offers them.
  if (receiveMissing && stream.getAudioTracks().length === 0) pc.addTransceiver("audio", { direction: "recvonly" });
  for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
  if (receiveMissing && stream.getVideoTracks().length === 0) prefer(pc.addTransceiver("video", { direction: "recvonly" }), false);
  for (const track of stream.getVideoTracks()) {
    const sender = pc.addTrack(track, stream);
    videoSender = sender;
    const transceiver = pc.getTransceivers().find((t) => t.sender === sender);
    if (transceiver) prefer(transceiver, true);
  }
  return videoSender;
}

/** One receive-only audio and one receive-only video transceiver (a viewer's offer); `toServer` as for addLocalTracks. */
export function addReceiveOnly(pc: RTCPeerConnection, toServer = true): void {
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = pc.addTransceiver("video", { direction: "recvonly" });
  if (toServer) preferServerCodecs(video, false);
}

/** The plain-object form of a local ICE candidate for signaling; undefined for an end-of-generation marker. */
export function candidateInit(candidate: RTCIceCandidate | null): IceCandidate | null | undefined {
  // Some browsers signal the end of a generation with an empty candidate string; null ends it all.
  if (candidate && candidate.candidate === "") return undefined;
  return candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex } : null;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  private videoSender: RTCRtpSender | null = null;
  private offerSent = false;
  private pendingCandidates: (IceCandidate | null)[] = [];
  private closed = false;
  private placeholders: Placeholders | null = null;

  /** `iceTransportPolicy` "relay": only TURN relay candidates (the page's `&relay=1`). */
  constructor(
    iceServers: RTCIceServer[],
    private readonly handlers: PeerHandlers,
    iceTransportPolicy: RTCIceTransportPolicy = "all",
  ) {
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc.addEventListener("icecandidate", (event) => {
      const candidate = candidateInit(event.candidate);
      if (candidate === undefined) return;
      if (this.offerSent) this.handlers.onCandidate(candidate);
      else this.pendingCandidates.push(candidate);
    });
    this.pc.addEventListener("track", (event) => {
      if (!this.closed) this.handlers.onTrack(event);
    });
    this.pc.addEventListener("connectionstatechange", () => {
      if (!this.closed) this.handlers.onConnectionState(this.pc.connectionState);
    });
  }

  /**
   * Sender: microphone and camera go up. `mode` says how a missing device is offered: mcu as receive-only (the mix
   * comes back on the same transceivers), sfu with a stand-in track (placeholder.ts), stopped by close().
   */
  addLocalStream(stream: MediaStream, mode: "mcu" | "sfu" = "mcu"): void {
    if (mode === "sfu") {
      this.placeholders = withPlaceholders(stream);
      this.videoSender = addLocalTracks(this.pc, this.placeholders.stream, false);
      return;
    }
    this.videoSender = addLocalTracks(this.pc, stream, true);
  }

  /** Viewer: receive only, no camera or microphone. */
  addReceiveOnly(): void {
    addReceiveOnly(this.pc);
  }

  get cameraSender(): RTCRtpSender | null {
    return this.videoSender;
  }

  /** Creates the offer, hands its SDP to `send`, then releases candidates gathered meanwhile. */
  async negotiate(send: (sdp: string) => void): Promise<void> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    if (this.closed) return;
    send(offer.sdp ?? "");
    this.offerSent = true;
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of pending) this.handlers.onCandidate(candidate);
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
    this.placeholders?.stop();
  }
}

/** A connection to the server's state as the page shows it; null: nothing to show (closed by us). */
export function serverMediaStatus(state: RTCPeerConnectionState, wasConnected: boolean): MediaStatus | null {
  switch (state) {
    case "connected":
      return { state: "connected" };
    case "disconnected":
      return { state: "connecting", status: "status.reconnecting" };
    case "new":
    case "connecting":
      return { state: "connecting", status: wasConnected ? "status.reconnecting" : "status.connectingMedia" };
    case "failed":
      return { state: "failed" };
    case "closed":
      return null;
  }
}

/**
 * mcu and sfu: the peer connection to the server with our camera and microphone (or, for a viewer, receive-only
 * sections), trickling candidates and reporting its state to `context.events`; `connected` runs on each connect.
 */
export function openServerPeer(
  context: MediaContext,
  mode: "mcu" | "sfu",
  onTrack: (event: RTCTrackEvent) => void,
  connected = () => {},
): Peer {
  let wasConnected = context.wasConnected;
  const { events } = context;
  const peer = new Peer(
    context.iceServers,
    {
      onCandidate: (candidate) => events.send({ type: "candidate", candidate }),
      onTrack,
      onConnectionState: (state) => {
        wasConnected ||= state === "connected";
        const status = serverMediaStatus(state, wasConnected);
        if (status) events.onStatus(status);
        if (state === "connected") connected();
      },
    },
    context.iceTransportPolicy,
  );
  if (context.local) peer.addLocalStream(context.local, mode);
  else peer.addReceiveOnly();
  return peer;
}

/** mcu and sfu, after `joined`: says media is on its way, and sends our offer (a failure ends the session). */
export function offerToServer(peer: Peer, events: MediaEvents): void {
  events.onStatus({ state: "connecting", status: "status.media" });
  peer
    .negotiate((sdp) => events.send({ type: "offer", sdp }))
    .catch((error: unknown) => events.onFatal(text("error.offerFailed", { detail: errorDetail(error) })));
}

/** mcu and sfu: the server's answer to our offer; `then` once it is applied. */
export function acceptServerAnswer(peer: Peer, sdp: string, events: MediaEvents, then = () => {}): void {
  peer
    .acceptAnswer(sdp)
    .then(then)
    .catch((error: unknown) => events.onFatal(text("error.badAnswer", { detail: errorDetail(error) })));
}
