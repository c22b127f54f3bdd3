// Mesh rooms' media: one MeshPeer per other participant. The newcomer calls everyone already present; the
// others answer. Who is present comes from `participants`; a participant who left is hung up on.

import { errorDetail, text, type Text } from "./i18n/text.js";
import { MeshPeer } from "./meshPeer.js";
import type { ParticipantInfo, Role, SignalData } from "../protocol/messages.js";
import type { MediaContext, MediaMessage, MediaStatus, RoomMedia } from "./roomMedia.js";
import type { RemoteSurface } from "./sfu.js";

/** Without a connected media path to a participant this long, give up on them (the others stay). */
const PEER_CONNECT_TIMEOUT_MS = 30_000;

/** Two viewers have nothing to send each other: they never connect. */
export function shouldConnect(selfRole: Role, otherRole: Role): boolean {
  return selfRole === "sender" || otherRole === "sender";
}

/** The participants a newcomer calls: everyone in `joined.participants` but itself and, for a viewer, other viewers. */
export function peersToCall(selfId: string, selfRole: Role, participants: readonly ParticipantInfo[]): ParticipantInfo[] {
  return participants.filter((p) => p.id !== selfId && shouldConnect(selfRole, p.role));
}

export type MeshState = "connected" | "connecting" | "reconnecting";

/**
 * The room's state as one word: connected when every connection is (and with none at all), reconnecting
 * when one that was up dropped, else connecting.
 */
export function meshState(states: readonly RTCPeerConnectionState[]): MeshState {
  if (states.every((s) => s === "connected")) return "connected";
  if (states.includes("disconnected")) return "reconnecting";
  return "connecting";
}

/** The room's state as the status line shows it; `wasConnected`: some connection of this visit was up. */
export function meshStatus(state: MeshState, wasConnected: boolean): MediaStatus {
  if (state === "connected") return { state: "connected" };
  if (state === "reconnecting") return { state: "connecting", status: "status.reconnecting" };
  return { state: "connecting", status: wasConnected ? "status.newPeer" : "status.peers" };
}

export class Mesh implements RoomMedia {
  readonly mode = "mesh";
  /** Signaling works once joined; each connection to another participant has its own time limit. */
  readonly timed = false;
  private readonly peers = new Map<string, MeshPeer>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Names by id, for the error when a connection to someone fails. */
  private names = new Map<string, string>();
  private wasConnected: boolean;
  private closed = false;

  constructor(
    private readonly context: MediaContext,
    private readonly remotes: RemoteSurface,
  ) {
    this.wasConnected = context.wasConnected;
  }

  get state(): MeshState {
    return meshState([...this.peers.values()].map((p) => p.connectionState));
  }

  /** After `joined`: offer to everyone already in the room (skipping viewer-to-viewer pairs). */
  start(participants: readonly ParticipantInfo[]): void {
    for (const p of peersToCall(this.context.selfId, this.context.role, participants)) {
      if (this.peers.has(p.id)) continue;
      const peer = this.create(p.id);
      peer.call().catch((error: unknown) => this.failPeer(p.id, text("reason.peerOffer", { detail: errorDetail(error) })));
    }
    this.reportState();
  }

  handle(message: MediaMessage): boolean {
    if (message.type !== "signal") return false;
    this.onSignal(message.from, message.data);
    return true;
  }

  /** Names videos, and hangs up on everyone who is no longer listed. */
  setRoster(participants: readonly ParticipantInfo[]): void {
    this.names = new Map(participants.map((p) => [p.id, p.name]));
    this.remotes.setRoster(participants);
    const present = new Set(participants.map((p) => p.id));
    for (const id of [...this.peers.keys()]) if (!present.has(id)) this.closePeer(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.peers.keys()]) this.closePeer(id);
    this.remotes.clear();
  }

  /** A `signal` from another participant. */
  private onSignal(from: string, data: SignalData): void {
    if (this.closed || from === this.context.selfId) return;
    let peer = this.peers.get(from);
    if (!peer) {
      // Only an offer opens a connection; candidates for one already closed are stale.
      if (data.sdp?.type !== "offer") return;
      peer = this.create(from);
    }
    peer.handle(data).catch((error: unknown) => this.failPeer(from, text("reason.peerNegotiation", { detail: errorDetail(error) })));
  }

  private create(id: string): MeshPeer {
    const peer = new MeshPeer(id, this.context.iceServers, this.context.local, {
      signal: (data) => this.context.events.send({ type: "signal", to: id, data }),
      onStream: (stream) => this.remotes.attach(id, stream),
      onConnectionState: (state) => this.onConnectionState(id, state),
    });
    this.peers.set(id, peer);
    const seconds = PEER_CONNECT_TIMEOUT_MS / 1000;
    this.timers.set(
      id,
      setTimeout(() => this.failPeer(id, text("reason.peerTimeout", { seconds })), PEER_CONNECT_TIMEOUT_MS),
    );
    this.reportState();
    return peer;
  }

  private onConnectionState(id: string, state: RTCPeerConnectionState): void {
    if (state === "connected") this.clearTimer(id);
    if (state === "failed") this.failPeer(id, text("reason.peerIce"));
    else this.reportState();
  }

  private failPeer(id: string, reason: Text): void {
    if (this.closed || !this.peers.has(id)) return;
    this.closePeer(id);
    this.context.events.onError(text("error.peerFailed", { name: this.names.get(id) ?? id, reason }));
  }

  private closePeer(id: string): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    this.clearTimer(id);
    peer.close();
    this.remotes.remove(id);
    if (!this.closed) this.reportState();
  }

  /** Some connection's state changed: the room's state, as one word, to the session. */
  private reportState(): void {
    if (this.closed) return;
    const state = this.state;
    this.wasConnected ||= state === "connected";
    this.context.events.onStatus(meshStatus(state, this.wasConnected));
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }
}
