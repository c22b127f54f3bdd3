import { NegotiationError } from "../peers/peerSession.js";
import { BaseRoom } from "./baseRoom.js";
import type { IceCandidateInit } from "./conferenceRoom.js";
import type { Participant } from "./participant.js";

/** Rooms whose participants' media goes through a server peer connection (MCU and SFU). */
export abstract class PeerRoom<M extends Participant> extends BaseRoom<M> {
  abstract remove(id: string, reason: string): Promise<void>;

  /** The participant's own offer; resolves to the server's answer. */
  offer(id: string, sdp: string): Promise<string> {
    const p = this.members.get(id);
    if (!p) return Promise.reject(new NegotiationError("negotiation-failed", "not in this room"));
    return p.peer.answer(sdp);
  }

  async candidate(id: string, candidate: IceCandidateInit | null): Promise<void> {
    await this.members.get(id)?.peer.addRemoteCandidate(candidate);
  }

  /** Ends the room: every participant is told why, every peer is closed, then the mode's own media. */
  async close(reason = "room closed"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const everyone = [...this.members.values()];
    this.members.clear();
    for (const p of everyone) p.channel.close(reason);
    await Promise.all(everyone.map((p) => p.peer.close()));
    await this.releaseMedia();
    this.log.info("room closed", { reason });
    this.emit("closed");
  }

  /** What the mode holds beyond the peers (the MCU's mixer and its ffmpeg children). */
  protected async releaseMedia(): Promise<void> {}

  /** ICE or DTLS failure: tell the participant, then take them out. */
  protected removeOnFailure(p: M): void {
    p.peer.on("failed", (reason) => {
      p.channel.send({ type: "error", code: "ice-failed", message: reason });
      p.channel.close(reason);
      void this.remove(p.id, reason);
    });
  }
}
