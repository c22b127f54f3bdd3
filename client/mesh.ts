// Mesh rooms: one MeshPeer per other participant. The newcomer calls everyone already present; the
// others answer. Who is present comes from `participants`; a participant who left is hung up on.

import { MeshPeer } from "./meshPeer.js";
import type { ParticipantInfo, Role, SignalData } from "../protocol/messages.js";

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

export interface MeshHandlers {
  send(to: string, data: SignalData): void;
  /** Participant `id`'s stream gained a track. */
  onStream(id: string, stream: MediaStream): void;
  /** The connection to `id` is gone (they left, or it failed); drop their video. */
  onPeerClosed(id: string): void;
  /** A connection to `id` failed or never came up; the others carry on. */
  onPeerFailed(id: string, reason: string): void;
  /** Some connection's state changed: recompute the room's state with `state`. */
  onStateChange(): void;
}

export class Mesh {
  private readonly peers = new Map<string, MeshPeer>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private closed = false;

  constructor(
    private readonly selfId: string,
    private readonly selfRole: Role,
    private readonly iceServers: RTCIceServer[],
    private readonly local: MediaStream | null,
    private readonly handlers: MeshHandlers,
  ) {}

  get state(): MeshState {
    return meshState([...this.peers.values()].map((p) => p.connectionState));
  }

  /** After `joined`: offer to everyone already in the room (skipping viewer-to-viewer pairs). */
  callAll(participants: readonly ParticipantInfo[]): void {
    for (const p of peersToCall(this.selfId, this.selfRole, participants)) {
      if (this.peers.has(p.id)) continue;
      const peer = this.create(p.id);
      peer.call().catch((error: unknown) => this.failPeer(p.id, `could not create an offer: ${errorText(error)}`));
    }
  }

  /** A `signal` from another participant. */
  onSignal(from: string, data: SignalData): void {
    if (this.closed || from === this.selfId) return;
    let peer = this.peers.get(from);
    if (!peer) {
      // Only an offer opens a connection; candidates for one already closed are stale.
      if (data.sdp?.type !== "offer") return;
      peer = this.create(from);
    }
    peer.handle(data).catch((error: unknown) => this.failPeer(from, `could not negotiate: ${errorText(error)}`));
  }

  /** Hangs up on everyone who is no longer listed. */
  setRoster(participants: readonly ParticipantInfo[]): void {
    const present = new Set(participants.map((p) => p.id));
    for (const id of [...this.peers.keys()]) if (!present.has(id)) this.closePeer(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.peers.keys()]) this.closePeer(id);
  }

  private create(id: string): MeshPeer {
    const peer = new MeshPeer(id, this.iceServers, this.local, {
      signal: (data) => this.handlers.send(id, data),
      onStream: (stream) => this.handlers.onStream(id, stream),
      onConnectionState: (state) => this.onConnectionState(id, state),
    });
    this.peers.set(id, peer);
    this.timers.set(
      id,
      setTimeout(() => this.failPeer(id, `no media connection after ${PEER_CONNECT_TIMEOUT_MS / 1000} s`), PEER_CONNECT_TIMEOUT_MS),
    );
    this.handlers.onStateChange();
    return peer;
  }

  private onConnectionState(id: string, state: RTCPeerConnectionState): void {
    if (state === "connected") this.clearTimer(id);
    if (state === "failed") this.failPeer(id, "ICE found no working network path between the two browsers");
    else this.handlers.onStateChange();
  }

  private failPeer(id: string, reason: string): void {
    if (this.closed || !this.peers.has(id)) return;
    this.closePeer(id);
    this.handlers.onPeerFailed(id, reason);
  }

  private closePeer(id: string): void {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    this.clearTimer(id);
    peer.close();
    this.handlers.onPeerClosed(id);
    if (!this.closed) this.handlers.onStateChange();
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
