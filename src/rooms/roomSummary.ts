import type { RoomMode } from "../../protocol/messages.js";
import type { ConferenceRoom } from "./conferenceRoom.js";

/** A room in one line, as the control API lists it and as a node publishes its rooms to the cluster. */
export interface RoomSummary {
  readonly name: string;
  readonly mode: RoomMode;
  readonly participants: number;
  readonly senders: number;
  readonly recording: boolean;
}

export function roomSummary(room: ConferenceRoom): RoomSummary {
  const members = room.list();
  return {
    name: room.name,
    mode: room.mode,
    participants: members.length,
    senders: members.filter((m) => m.role === "sender").length,
    recording: room.capabilities.recording?.activeRecording !== undefined,
  };
}
