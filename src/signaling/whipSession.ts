import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { capability } from "../rooms/capabilities.js";
import type { ConferenceRoom } from "../rooms/conferenceRoom.js";
import type { IceCandidate } from "../../protocol/messages.js";
import type { Member, ParticipantChannel } from "../rooms/participant.js";
import { isFatal } from "../../protocol/errorCodes.js";
import type { ServerMessage } from "../../protocol/messages.js";

/** WHIP (RFC 9725): a sender publishing into a room. WHEP: a viewer playing the room's mix. */
export type HttpFrontKind = "whip" | "whep";

/**
 * A room member whose front is an HTTP resource (a WHIP or WHEP session) rather than a socket: made by a
 * POST with an offer, ended by a DELETE, or by the room (kicked, room closed, media failed, connect deadline).
 * It has no channel to talk back on, so the room's messages (roster, tiles, speaker) go nowhere; a fatal
 * one ends the session and takes the participant out at once. There is no resume: a WHIP client whose media
 * dropped POSTs again, and the new session replaces the old one when both carry a join token of the same
 * identity (`sub`), as a page's newer socket does.
 */
export class WhipSession extends EventEmitter<{ ended: [reason: string] }> implements ParticipantChannel {
  /** The resource's id in its URL: 128 random bits, since whoever holds the URL may end the session. */
  readonly id = randomBytes(16).toString("base64url");
  /** One offer and one answer, never a server offer: an SFU forwards this member nothing (participant.ts). */
  readonly renegotiates = false;
  private room: ConferenceRoom | undefined;
  private participant: Member | undefined;
  /** The ICE credentials of the client's offer: a PATCH naming others is an ICE restart. */
  private remoteUfrag: string | undefined;
  /** Names the ICE session in ETag / If-Match (RFC 9725 section 4.3.1). */
  readonly etag = `"${randomBytes(8).toString("hex")}"`;

  constructor(readonly kind: HttpFrontKind) {
    super();
  }

  get ended(): boolean {
    return this.room === undefined;
  }

  get roomName(): string | undefined {
    return this.room?.name;
  }

  get iceUfrag(): string | undefined {
    return this.remoteUfrag;
  }

  /** Binds the session to the member the room admitted on it. */
  attach(room: ConferenceRoom, participant: Member): void {
    this.room = room;
    this.participant = participant;
  }

  /** The client's offer, answered by the member's peer; a refused offer ends the session (there is no second POST on it). */
  async offer(sdp: string): Promise<string> {
    const { room, participant } = this.bound();
    this.remoteUfrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
    try {
      return await capability(room, "negotiation").offer(participant.id, sdp);
    } catch (err) {
      await this.leave("offer refused");
      throw err;
    }
  }

  /** Trickled candidates (PATCH); `null`: the client's end of candidates. */
  async candidate(candidate: IceCandidate | null): Promise<void> {
    const { room, participant } = this.bound();
    await capability(room, "negotiation").candidate(participant.id, candidate);
  }

  /** DELETE, or a refused offer: the member leaves the room. */
  async leave(reason: string): Promise<void> {
    const room = this.room;
    const participant = this.participant;
    this.end(reason);
    if (room && participant) await room.remove(participant.id, reason);
  }

  /** What the room tells the member: only a fatal error matters here, and it ends the session. */
  send(message: ServerMessage): void {
    if (message.type === "error" && isFatal(message.code)) void this.leave(message.code);
  }

  /** The room ends the member (kicked, replaced, room closed): the room removes them itself. */
  close(reason: string): void {
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.room = undefined;
    this.participant = undefined;
    this.emit("ended", reason);
  }

  private bound(): { room: ConferenceRoom; participant: Member } {
    if (!this.room || !this.participant) throw new Error("the session has ended");
    return { room: this.room, participant: this.participant };
  }
}
