// SFU rooms: answer the server's renegotiation offers one at a time, and tell whose stream a track is.

import { preferServerCodecs } from "./codecs.js";

/**
 * The participant a forwarded track belongs to: the server puts each sender's audio and video in a
 * MediaStream whose id is that sender's participant id (`a=msid:<participant id> …`).
 */
export function streamOwner(streamIds: readonly string[]): string | null {
  const id = streamIds[0];
  return id !== undefined && id !== "" && id !== "-" ? id : null;
}

/** Resolves once the connection is not waiting for an answer to its own offer (or is closed). */
function settled(pc: RTCPeerConnection): Promise<void> {
  if (pc.signalingState !== "have-local-offer") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.signalingState === "have-local-offer") return;
      pc.removeEventListener("signalingstatechange", check);
      resolve();
    };
    pc.addEventListener("signalingstatechange", check);
  });
}

/**
 * Server offers go through a queue: each is applied, answered and its answer sent before the next is
 * looked at. The server keeps one outstanding, but a queue also survives a server that does not.
 */
export class SfuNegotiator {
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly sendAnswer: (sdp: string) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  handleOffer(sdp: string): void {
    this.queue = this.queue
      .then(() => this.answer(sdp))
      .catch((error: unknown) => {
        if (!this.closed) this.onError(error);
      });
  }

  close(): void {
    this.closed = true;
  }

  private async answer(sdp: string): Promise<void> {
    // Our own first offer must be answered before a server offer can be applied (no glare rollback).
    await settled(this.pc);
    if (this.closed) return;
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    // The forwards' sections are the server's: answered with the codecs it forwards, as our own offer was.
    for (const t of this.pc.getTransceivers()) {
      if (t.receiver.track.kind === "video" && t.direction === "recvonly") preferServerCodecs(t, false);
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.closed) return;
    this.sendAnswer(answer.sdp ?? "");
  }
}
