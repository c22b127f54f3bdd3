// The one RTCPeerConnection to the server: local tracks or receive-only transceivers, the offer,
// trickled candidates, and the mixed stream coming back.

import { preferVp8 } from "./codecs.js";
import type { CandidateInit } from "./protocol.js";

export interface PeerHandlers {
  /** A local candidate to trickle; null once gathering is complete. Only called after the offer went out. */
  onCandidate(candidate: CandidateInit | null): void;
  /** The mixed stream gained a track (it is the same MediaStream every time). */
  onRemoteStream(stream: MediaStream): void;
  onConnectionState(state: RTCPeerConnectionState): void;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  readonly remoteStream = new MediaStream();
  private videoSender: RTCRtpSender | null = null;
  private offerSent = false;
  private pendingCandidates: (CandidateInit | null)[] = [];
  private closed = false;

  constructor(iceServers: RTCIceServer[], private readonly handlers: PeerHandlers) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc.addEventListener("icecandidate", (event) => {
      // Some browsers signal the end of a generation with an empty candidate string; null ends it all.
      if (event.candidate && event.candidate.candidate === "") return;
      const candidate: CandidateInit | null = event.candidate
        ? { candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid, sdpMLineIndex: event.candidate.sdpMLineIndex }
        : null;
      if (this.offerSent) this.handlers.onCandidate(candidate);
      else this.pendingCandidates.push(candidate);
    });
    this.pc.addEventListener("track", (event) => {
      if (!this.remoteStream.getTracks().includes(event.track)) this.remoteStream.addTrack(event.track);
      this.handlers.onRemoteStream(this.remoteStream);
    });
    this.pc.addEventListener("connectionstatechange", () => {
      if (!this.closed) this.handlers.onConnectionState(this.pc.connectionState);
    });
  }

  /** Sender: microphone and camera go up; the same transceivers carry the mixed stream down. */
  addLocalStream(stream: MediaStream): void {
    for (const track of stream.getAudioTracks()) this.pc.addTrack(track, stream);
    for (const track of stream.getVideoTracks()) {
      const sender = this.pc.addTrack(track, stream);
      this.videoSender = sender;
      const transceiver = this.pc.getTransceivers().find((t) => t.sender === sender);
      if (transceiver) preferVp8(transceiver);
    }
  }

  /** Viewer: receive only, no camera or microphone. */
  addReceiveOnly(): void {
    this.pc.addTransceiver("audio", { direction: "recvonly" });
    const video = this.pc.addTransceiver("video", { direction: "recvonly" });
    preferVp8(video);
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
    for (const track of this.remoteStream.getTracks()) this.remoteStream.removeTrack(track);
  }
}
