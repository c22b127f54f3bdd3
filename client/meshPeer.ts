// Mesh rooms: the RTCPeerConnection to one other participant, negotiated through `signal` messages.

import { addLocalTracks, addReceiveOnly, candidateInit } from "./peer.js";
import type { IceCandidate, SignalData } from "../protocol/messages.js";

export interface MeshPeerHandlers {
  /** Data for a `signal` to this participant. */
  signal(data: SignalData): void;
  /** Their stream gained a track (the same MediaStream every time). */
  onStream(stream: MediaStream): void;
  onConnectionState(state: RTCPeerConnectionState): void;
}

export class MeshPeer {
  readonly pc: RTCPeerConnection;
  /** Everything they send, as one stream for their <video>. */
  readonly stream = new MediaStream();
  private localSent = false;
  private pendingLocal: (IceCandidate | null)[] = [];
  private remoteSet = false;
  private pendingRemote: (IceCandidate | null)[] = [];
  /** SDP work (offer, answer) one step at a time. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  /** `local`: our microphone and camera, or null for a viewer. */
  constructor(
    readonly remoteId: string,
    iceServers: RTCIceServer[],
    private readonly local: MediaStream | null,
    private readonly handlers: MeshPeerHandlers,
  ) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc.addEventListener("icecandidate", (event) => {
      const candidate = candidateInit(event.candidate);
      if (candidate === undefined || this.closed) return;
      if (this.localSent) this.handlers.signal({ candidate });
      else this.pendingLocal.push(candidate);
    });
    this.pc.addEventListener("track", (event) => {
      if (this.closed) return;
      if (!this.stream.getTracks().includes(event.track)) this.stream.addTrack(event.track);
      this.handlers.onStream(this.stream);
    });
    this.pc.addEventListener("connectionstatechange", () => {
      if (!this.closed) this.handlers.onConnectionState(this.pc.connectionState);
    });
    if (local) addLocalTracks(this.pc, local, true, false);
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** We are the newcomer: offer our tracks (or, as a viewer, to receive theirs). */
  call(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.local) addReceiveOnly(this.pc, false);
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      this.sendDescription({ type: "offer", sdp: offer.sdp ?? "" });
    });
  }

  /** A `signal` from them: an offer to answer, the answer to our offer, or a candidate. */
  handle(data: SignalData): Promise<void> {
    const work: Promise<void>[] = [];
    const sdp = data.sdp;
    if (sdp) work.push(this.enqueue(() => this.applyDescription(sdp)));
    if (data.candidate !== undefined) {
      if (this.remoteSet) work.push(this.addRemoteCandidate(data.candidate));
      else this.pendingRemote.push(data.candidate);
    }
    return Promise.all(work).then(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }

  private async applyDescription(sdp: { type: "offer" | "answer"; sdp: string }): Promise<void> {
    await this.pc.setRemoteDescription(sdp);
    this.remoteSet = true;
    const pending = this.pendingRemote;
    this.pendingRemote = [];
    for (const candidate of pending) await this.addRemoteCandidate(candidate);
    if (sdp.type !== "offer" || this.closed) return;
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.sendDescription({ type: "answer", sdp: answer.sdp ?? "" });
  }

  /** Sends our description, then the candidates gathered before it could go out. */
  private sendDescription(sdp: { type: "offer" | "answer"; sdp: string }): void {
    if (this.closed) return;
    this.handlers.signal({ sdp });
    this.localSent = true;
    const pending = this.pendingLocal;
    this.pendingLocal = [];
    for (const candidate of pending) this.handlers.signal({ candidate });
  }

  private async addRemoteCandidate(candidate: IceCandidate | null): Promise<void> {
    if (this.closed) return;
    try {
      // null: the end of their candidates.
      await this.pc.addIceCandidate(candidate ?? undefined);
    } catch (error) {
      // One bad candidate must not end the call; ICE tries the others.
      console.warn(`tessera: could not add a candidate from ${this.remoteId}`, error);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.closed ? undefined : step()));
    this.queue = run.catch(() => undefined);
    return run;
  }
}
