// SFU rooms' media: one peer connection to the server, renegotiated by the server's offers (answered one at a
// time), and one stream per participant, whose id says whose it is, shown in the #remotes grid.

import { preferServerCodecs } from "./codecs.js";
import { errorDetail, text } from "./i18n/text.js";
import { acceptServerAnswer, offerToServer, openServerPeer, type Peer } from "./peer.js";
import type { RemoteVideos } from "./remotes.js";
import type { MediaContext, MediaMessage, RoomMedia } from "./roomMedia.js";

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

/** The #remotes grid, as the sfu and mesh media use it. */
export type RemoteSurface = Pick<RemoteVideos, "attach" | "remove" | "setRoster" | "clear">;

export class SfuMedia implements RoomMedia {
  readonly mode = "sfu";
  readonly timed = true;
  private readonly peer: Peer;
  private readonly negotiator: SfuNegotiator;

  constructor(
    private readonly context: MediaContext,
    private readonly remotes: RemoteSurface,
  ) {
    this.peer = openServerPeer(context, "sfu", (event) => this.onForwardedTrack(event));
    this.negotiator = new SfuNegotiator(
      this.peer.pc,
      (sdp) => context.events.send({ type: "answer", sdp }),
      (error) => context.events.onFatal(text("error.badServerOffer", { detail: errorDetail(error) })),
    );
  }

  start(): void {
    offerToServer(this.peer, this.context.events);
  }

  handle(message: MediaMessage): boolean {
    switch (message.type) {
      case "answer":
        acceptServerAnswer(this.peer, message.sdp, this.context.events);
        return true;
      case "offer":
        this.negotiator.handleOffer(message.sdp);
        return true;
      default:
        return false;
    }
  }

  setRoster(participants: Parameters<RemoteSurface["setRoster"]>[0]): void {
    this.remotes.setRoster(participants);
  }

  close(): void {
    this.negotiator.close();
    this.peer.close();
    this.remotes.clear();
  }

  /** The stream id names the participant who sends it. */
  private onForwardedTrack(event: RTCTrackEvent): void {
    const stream = event.streams[0];
    const owner = streamOwner(event.streams.map((s) => s.id));
    if (!stream || owner === null) {
      console.warn("tessera: a forwarded track without its participant's stream id; not shown", event.track.kind);
      return;
    }
    this.remotes.attach(owner, stream);
  }
}
