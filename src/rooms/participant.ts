import type { PeerSession } from "../peers/peerSession.js";
import type { ParticipantInfo, Role, ServerMessage } from "../signaling/messages.js";

/** How a room talks back to one participant; the room never sees the WebSocket behind it. */
export interface ParticipantChannel {
  send(message: ServerMessage): void;
  close(reason: string): void;
}

export interface Participant {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly joinedAt: Date;
  readonly channel: ParticipantChannel;
  readonly peer: PeerSession;
  audioMuted: boolean;
  videoMuted: boolean;
  videoCodecSeen: "vp8" | "h264" | undefined;
}

export function participantInfo(p: Participant): ParticipantInfo {
  return { id: p.id, name: p.name, role: p.role, audioMuted: p.audioMuted, videoMuted: p.videoMuted };
}
