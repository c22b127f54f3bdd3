// window.tessera: read-only view of the client for tests and automation.

import type { ParticipantInfo, RecordingState, Role, RoomMode } from "../protocol/messages.js";
import type { AppliedTile } from "./tile.js";
import type { ClientState } from "./ui.js";

export interface TesseraView {
  state: ClientState;
  role: Role | null;
  /** The room's mode, from `joined` (null until then). */
  mode: RoomMode | null;
  /** Our participant id once joined. */
  id: string | null;
  participants: ParticipantInfo[];
  /** The last tile applied to the camera sender with setParameters. */
  lastTile: AppliedTile | null;
  /** The message currently shown in #error, if any. */
  error: string | null;
  /** The room's recording in progress (REC shown), or null. */
  recording: RecordingState;
  /** Who is speaking (MCU rooms' `speaker` messages), or null. */
  speaker: string | null;
}

declare global {
  interface Window {
    tessera: TesseraView;
  }
}

export function installView(): TesseraView {
  const view: TesseraView = { state: "idle", role: null, mode: null, id: null, participants: [], lastTile: null, error: null, recording: null, speaker: null };
  window.tessera = view;
  return view;
}
