// window.tessera: a view of the client for tests and automation. Write-only for the page: the app writes it
// and never reads it back (each fact has its owner in the app: session.ts, roster.ts, screenControl.ts, ...).

import type { ErrorCode } from "../protocol/errorCodes.js";
import type { DisplayMessage, ParticipantInfo, RecordingState, Role, RoomMode } from "../protocol/messages.js";
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
  /** The code of the server's last `error` message this session (room-full offers "Join as viewer"). */
  errorCode: ErrorCode | null;
  /** A sender who joined without a camera (none, or denied): sound only. */
  audioOnly: boolean;
  /** The room's recording in progress (REC shown), or null. */
  recording: RecordingState;
  /** The connection was lost and the page is trying to get back ("Reconnecting…"). */
  reconnecting: boolean;
  /** How many times this visit got back after a lost connection. */
  reconnects: number;
  /** The signed link to the room's last finished recording, for those allowed to record (client/recordingLink.ts). */
  recordingLink: string | null;
  /** Who is speaking (MCU rooms' `speaker` messages), or null. */
  speaker: string | null;
  /** MCU rooms: the mix this page is sent now (the last `mix` message), or null before any. */
  mix: { width: number; height: number; paused: boolean } | null;
  /** MCU rooms: the last `display` message the page sent, or null. */
  display: DisplayMessage | null;
  /** MCU rooms: who shares a screen now (the server's `screen` messages), or null. */
  screenSharer: string | null;
  /** The last tile applied to the screen's sender (MCU: the size the screen is drawn at), or null. */
  lastScreenTile: AppliedTile | null;
  /** This page is sharing a screen (from the button until the share ends, whoever ends it). */
  sharing: boolean;
}

declare global {
  interface Window {
    tessera: TesseraView;
  }
}

/** The view before any call. */
export function emptyView(): TesseraView {
  return {
    state: "idle",
    role: null,
    mode: null,
    id: null,
    participants: [],
    lastTile: null,
    error: null,
    errorCode: null,
    audioOnly: false,
    recording: null,
    recordingLink: null,
    reconnecting: false,
    reconnects: 0,
    speaker: null,
    mix: null,
    display: null,
    screenSharer: null,
    sharing: false,
    lastScreenTile: null,
  };
}

export function installView(): TesseraView {
  const view = emptyView();
  window.tessera = view;
  return view;
}
