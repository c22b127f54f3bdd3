import type { ParticipantPeer } from "./roomMedia.js";
import type { ParticipantInfo, Role, ServerMessage } from "../../protocol/messages.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** How a room talks back to one participant; the room never sees the WebSocket behind it. */
export interface ParticipantChannel {
  send(message: ServerMessage): void;
  close(reason: string): void;
  /**
   * False for a front that negotiates once and never again (a WHIP or WHEP session: one offer, one answer):
   * an SFU forwards such a participant no other sender, since adding one takes a server offer. Default true.
   */
  readonly renegotiates?: boolean;
}

/** A participant as every room mode knows them. */
export interface Member {
  readonly id: string;
  /** Who this is across sockets: the join token's `sub` when tokens are on, else a server-made id. */
  readonly identity: string;
  readonly name: string;
  readonly role: Role;
  readonly joinedAt: Date;
  /** The participant's socket; replaced when they come back with their resume key. */
  channel: ParticipantChannel;
  /** The secret a new socket presents to come back as this participant (joined.resume). */
  readonly resumeKey: string;
  /** While their socket is gone and their place is held: when it dropped (performance.now). */
  disconnectedAt: number | undefined;
  audioMuted: boolean;
  videoMuted: boolean;
}

/** A participant whose media goes through a server peer connection (MCU and SFU rooms). */
export interface Participant<P extends ParticipantPeer = ParticipantPeer> extends Member {
  /** Replaced by a fresh one when an offer is rejected (the participant keeps their place). */
  peer: P;
  videoCodecSeen: VideoCodec | undefined;
}

/** The channel of a participant whose socket is gone: what the room says to them meanwhile goes nowhere. */
export const DETACHED_CHANNEL: ParticipantChannel = {
  send: () => undefined,
  close: () => undefined,
};

export function participantInfo(p: Member): ParticipantInfo {
  return { id: p.id, name: p.name, role: p.role, audioMuted: p.audioMuted, videoMuted: p.videoMuted };
}

export function broadcastRoster(members: Iterable<Member>): void {
  const all = [...members];
  const participants = all.map(participantInfo);
  for (const m of all) m.channel.send({ type: "participants", participants });
}
