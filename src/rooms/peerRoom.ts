import { NegotiationError } from "../peers/peerSession.js";
import { BaseRoom } from "./baseRoom.js";
import type { IceCandidateInit } from "./conferenceRoom.js";
import type { Participant } from "./participant.js";

/** Rooms whose participants' media goes through a server peer connection (MCU and SFU). */
export abstract class PeerRoom<M extends Participant> extends BaseRoom<M> {
  /** The participant's own offer; resolves to the server's answer. */
  offer(id: string, sdp: string): Promise<string> {
    const p = this.members.get(id);
    if (!p) return Promise.reject(new NegotiationError("negotiation-failed", "not in this room"));
    return p.peer.answer(sdp);
  }

  async candidate(id: string, candidate: IceCandidateInit | null): Promise<void> {
    await this.members.get(id)?.peer.addRemoteCandidate(candidate);
  }
}
