// Sharing a screen (MCU rooms): getDisplayMedia, then a second peer connection to the server that carries
// only the screen's video (docs/decisions.md, "Screen sharing on a second peer connection"). It ends with the
// button, the browser's own "stop sharing" (the track ends), the server ending it (`screen` null: the
// sharer left, another took over) or the call ending.

import type { ClientMessageInput, TileMessage } from "../protocol/messages.js";
import { preferServerCodecs } from "./codecs.js";
import { Peer } from "./peer.js";
import { TileApplier, type AppliedTile } from "./tile.js";

export interface ScreenShareHandlers {
  send(message: ClientMessageInput): void;
  /** Sharing started (the offer went out) or ended, for whatever reason. */
  onSharing(sharing: boolean): void;
  onError(detail: string): void;
  /** The server's size for the screen was applied to its sender. */
  onTile(tile: AppliedTile): void;
}

/** What the page asks the browser for: a screen's text wants pixels more than frames; its sound where the room forwards it. */
export function displayConstraints(withAudio: boolean): DisplayMediaStreamOptions {
  return { video: { frameRate: { ideal: 15, max: 30 } }, audio: withAudio };
}

export class ScreenShare {
  private peer: Peer | null = null;
  private stream: MediaStream | null = null;
  private tiles: TileApplier | null = null;
  private stopped = false;

  constructor(
    private readonly iceServers: RTCIceServer[],
    private readonly handlers: ScreenShareHandlers,
    private readonly iceTransportPolicy: RTCIceTransportPolicy = "all",
    /** Ask for the screen's sound too and send it (SFU rooms forward it; MCU rooms mix it for all but the sharer). */
    private readonly withAudio = false,
  ) {}

  /** Asks the user for a screen (the browser's picker) and offers it to the server. */
  async start(): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia(displayConstraints(this.withAudio));
    } catch (error) {
      // The user closed the picker: not an error worth a banner.
      if (error instanceof DOMException && error.name === "NotAllowedError") return this.stop(false);
      this.handlers.onError(error instanceof Error ? error.message : String(error));
      return this.stop(false);
    }
    if (this.stopped) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    const track = stream.getVideoTracks()[0];
    if (!track) return this.stop(false);
    // The encoder keeps resolution (text) over frame rate.
    track.contentHint = "text";
    track.addEventListener("ended", () => this.stop(true));
    const peer = new Peer(
      this.iceServers,
      {
        onCandidate: (candidate) => this.handlers.send({ type: "screenCandidate", candidate }),
        onTrack: () => undefined,
        onConnectionState: (state) => {
          if (state === "failed") this.stop(true);
        },
      },
      this.iceTransportPolicy,
    );
    this.peer = peer;
    const transceiver = peer.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    // The server takes a connection with one audio and one video section: the screen's sound when the browser
    // gave one (a tab's, on Chromium), else a section that only receives (and is sent nothing).
    const sound = this.withAudio ? stream.getAudioTracks()[0] : undefined;
    if (sound) peer.pc.addTransceiver(sound, { direction: "sendonly", streams: [stream] });
    else peer.pc.addTransceiver("audio", { direction: "recvonly" });
    preferServerCodecs(transceiver, true);
    this.tiles = new TileApplier(transceiver.sender, (tile) => this.handlers.onTile(tile));
    this.handlers.onSharing(true);
    await peer.negotiate((sdp) => this.handlers.send({ type: "screenOffer", sdp }));
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.peer?.acceptAnswer(sdp);
    this.tiles?.retry();
  }

  /** The server's `tile` for the screen: encode it at the size it is drawn. */
  applyTile(tile: TileMessage): void {
    this.tiles?.apply(tile);
  }

  /** Ends the share; `tellServer` false when the server ended it (or never heard of it). */
  stop(tellServer: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    if (tellServer && this.peer) this.handlers.send({ type: "screenStop" });
    this.peer?.close();
    this.peer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.handlers.onSharing(false);
  }
}
