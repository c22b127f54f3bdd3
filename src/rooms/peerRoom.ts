import type { LinkReport } from "../peers/linkMonitor.js";
import { NegotiationError } from "../peers/peerConnection.js";
import type { ErrorCode } from "../../protocol/errorCodes.js";
import { protocolCodeOf } from "../../protocol/protocolError.js";
import { FaultBoundary } from "../../mixer/faults.js";
import { BaseRoom } from "./baseRoom.js";
import type { PeerNegotiation } from "./capabilities.js";
import type { IceCandidate } from "../../protocol/messages.js";
import type { Participant } from "./participant.js";

/**
 * Rooms whose participants' media goes through a server peer connection (MCU and SFU). A participant's
 * connection must be up within `connectTimeoutMs` of joining, or they are removed: a client that joins
 * and never offers, or never finishes ICE, holds nothing for long.
 */
export abstract class PeerRoom<M extends Participant> extends BaseRoom<M> implements PeerNegotiation {
  /** Every callback into this room's media (packets, the mixer's timers and children) runs through it. */
  protected readonly faults = new FaultBoundary((err, where) => this.failed(err, where));
  private readonly connectDeadlines = new Map<string, NodeJS.Timeout>();

  /** A new peer connection of this room's mode. */
  protected abstract createPeer(): M["peer"];

  /** Wires `p.peer` to the room's media (called again when the peer is replaced). */
  protected abstract wirePeer(p: M): void;

  /**
   * The participant's own offer; resolves to the server's answer. A rejected offer leaves the participant in
   * place on a fresh peer connection, so they may offer again (within the time left to connect).
   */
  async offer(id: string, sdp: string): Promise<string> {
    const p = this.members.get(id);
    if (!p) throw this.refused(id, sdp, new NegotiationError("negotiation-failed", "not in this room"));
    if (p.peer.hasOffer)
      throw this.refused(id, sdp, new NegotiationError("negotiation-failed", "this participant's connection is already negotiated"));
    try {
      return await p.peer.answer(sdp);
    } catch (err) {
      await this.resetPeer(id);
      throw this.refused(id, sdp, err);
    }
  }

  hasOffer(id: string): boolean {
    return this.members.get(id)?.peer.hasOffer ?? false;
  }

  /** LinkStats: the participant's link, from their peer connection's RTCP. */
  linkOf(id: string): LinkReport | undefined {
    return this.members.get(id)?.peer.link;
  }

  /**
   * Logs a refused offer and returns the error to throw. The page hears the reason on its socket; the operator
   * must too, or a browser that can never get in is invisible. The SDP's o= user names the browser's stack
   * (Firefox writes "mozilla...THIS_IS_SDPARTA-<version>", Chromium "-").
   */
  private refused(id: string, sdp: string, err: unknown): unknown {
    const origin = /^o=(\S{1,80})/m.exec(sdp)?.[1];
    this.log.warn("offer refused", { ...refusalFields(id, err), origin });
    return err;
  }

  async candidate(id: string, candidate: IceCandidate | null): Promise<void> {
    try {
      await this.members.get(id)?.peer.addRemoteCandidate(candidate);
    } catch (err) {
      this.log.warn("candidate refused", refusalFields(id, err));
      throw err;
    }
  }

  /** Media stops with the socket: the old peer closes now (its ports freed), a fresh one waits for the page's next offer. */
  protected override async onDisconnected(p: M, _reason: string): Promise<void> {
    this.clearConnectDeadline(p.id);
    await this.resetPeer(p.id);
  }

  /** Back on a new socket: the page offers on a fresh peer connection, within CONNECT_TIMEOUT_MS as at a join. */
  protected override onResumed(p: M, _gapMs: number): void {
    // Their old socket was still open (only the page lost it): its peer may be negotiated or connected.
    if (p.peer.hasOffer || p.peer.isConnected) void this.resetPeer(p.id);
    this.startConnectDeadline(p);
  }

  /** The participant keeps their place (id, tile, time left to connect) on a fresh peer: werift's may be half-applied. */
  private async resetPeer(id: string): Promise<void> {
    const p = this.members.get(id);
    if (!p || this.closing) return;
    const old = p.peer;
    p.peer = this.createPeer();
    this.attachPeer(p);
    await old.close();
  }

  /** Ends the room: every participant is told why, every peer is closed, then the mode's own media. */
  async close(reason = "room closed"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.forgetHeldPlaces();
    this.finishBeforePeers(reason);
    const everyone = [...this.members.values()];
    this.members.clear();
    for (const p of everyone) p.channel.close(reason);
    await Promise.all(everyone.map((p) => this.releasePeer(p)));
    await this.releaseMedia();
    this.context.processes.close();
    this.log.info("room closed", { reason });
    this.emit("closed");
  }

  /**
   * An exception in this room's media code: the room closes (its recording finished), its participants are
   * told `room-failed` and may join again, and every other room goes on.
   */
  private failed(err: unknown, where: string): void {
    this.log.error("room failed: closing it", { where, error: err instanceof Error ? err.stack : String(err) });
    if (this.closing) return;
    for (const p of this.members.values()) {
      p.channel.send({
        type: "error",
        code: "room-failed",
        message: "the room hit an internal error and was closed; join again to start it afresh",
      });
    }
    this.close("room-failed").catch((closeErr: unknown) => {
      this.log.error("a failed room did not close cleanly", { error: closeErr instanceof Error ? closeErr.stack : String(closeErr) });
    });
  }

  /** What the mode must finish as the room starts closing, before any peer is waited on (a recording). */
  protected finishBeforePeers(_reason: string): void {}

  /** What the mode holds beyond the peers (the MCU's mixer and its ffmpeg children). */
  protected async releaseMedia(): Promise<void> {}

  /** For a newly admitted participant: their peer is wired and the clock to connect starts. */
  protected attachNewParticipant(p: M): void {
    this.attachPeer(p);
    this.startConnectDeadline(p);
  }

  private startConnectDeadline(p: M): void {
    this.clearConnectDeadline(p.id);
    const timer = setTimeout(() => this.connectDeadlinePassed(p), this.config.connectTimeoutMs);
    timer.unref();
    this.connectDeadlines.set(p.id, timer);
  }

  private clearConnectDeadline(id: string): void {
    clearTimeout(this.connectDeadlines.get(id));
    this.connectDeadlines.delete(id);
  }

  /** Closes the participant's peer and forgets their connection state; the mode's remove() calls it. */
  protected async releasePeer(p: M): Promise<void> {
    this.clearConnectDeadline(p.id);
    await p.peer.close();
  }

  private attachPeer(p: M): void {
    const peer = p.peer;
    let wasConnected = false;
    this.wirePeer(p);
    const metrics = this.context.metrics;
    if (metrics) {
      peer.on("videoRtp", () => metrics.rtpPacket("video"));
      peer.on("audioRtp", () => metrics.rtpPacket("audio"));
      peer.on("feedback", (type) => metrics.rtcpFeedback(type));
      peer.on("packetDropped", (reason) => metrics.packetDropped(reason));
      peer.on("failed", (_reason, kind) => {
        if (p.peer === peer) metrics.connectionFailed(kind);
      });
    }
    peer.on("connected", () => {
      wasConnected = true;
      this.clearConnectDeadline(p.id);
    });
    // ICE or DTLS failure of the participant's current peer (a replaced one says nothing any more).
    peer.on("failed", (reason) => {
      if (p.peer !== peer) return;
      // A connection that was up and then failed (a network change): the page reconnects, so hold the place.
      if (wasConnected && this.holdsDroppedParticipants) this.mediaLost(p, reason);
      else this.dropParticipant(p, "ice-failed", reason);
    });
  }

  /** Their media connection failed after it was up: the session ends with `ice-failed`, the place is held. */
  private mediaLost(p: M, reason: string): void {
    const seconds = this.config.reconnectGraceMs / 1000;
    this.log.info("media connection lost: holding their place", { participant: p.id, reason });
    p.channel.send({
      type: "error",
      code: "ice-failed",
      message: `${reason}; join again with your resume key within ${seconds} s to keep your place`,
    });
    p.channel.close("ice-failed");
    void this.disconnected(p.id, "ice-failed");
  }

  private connectDeadlinePassed(p: M): void {
    this.connectDeadlines.delete(p.id);
    if (this.members.get(p.id) !== p || p.peer.isConnected) return;
    const seconds = Math.round(this.config.connectTimeoutMs / 100) / 10;
    if (p.peer.hasOffer) {
      this.context.metrics?.connectionFailed("timeout");
      this.dropParticipant(
        p,
        "ice-failed",
        `the media connection did not come up within ${seconds} s of joining (ICE or DTLS never completed)`,
      );
    } else {
      this.dropParticipant(
        p,
        "offer-timeout",
        `no offer arrived within ${seconds} s of joining: a participant offers its media right after "joined"`,
      );
    }
  }

  /** Tells the participant why, closes their socket and takes them out. */
  private dropParticipant(p: M, code: ErrorCode, reason: string): void {
    this.log.info("participant dropped", { participant: p.id, code, reason });
    p.channel.send({ type: "error", code, message: reason });
    p.channel.close(reason);
    void this.remove(p.id, reason);
  }
}

/** A refused offer or candidate, for the server's log: what the participant was told, and werift's own error behind it. */
function refusalFields(participant: string, err: unknown): Record<string, unknown> {
  const cause = err instanceof Error && err.cause instanceof Error ? { cause: err.cause.stack ?? err.cause.message } : {};
  return { participant, code: protocolCodeOf(err) ?? "unexpected", reason: err instanceof Error ? err.message : String(err), ...cause };
}
