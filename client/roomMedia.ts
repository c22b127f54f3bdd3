// One connection's media, in the room's mode: mcu (mcu.ts: one peer connection, one mixed stream back),
// sfu (sfu.ts: one peer connection, renegotiated by the server, one stream per participant) or mesh
// (mesh.ts: one peer connection per other participant). The session makes one after each `joined`, hands it
// the messages about its media and the roster, and closes it when the connection ends; it never looks inside.

import type { MessageKey } from "./i18n/en.js";
import type { Text } from "./i18n/text.js";
import type { ClientMessageInput, ParticipantInfo, Role, RoomMode, ServerMessageOf } from "../protocol/messages.js";

/** Server messages about a connection's media; which of them a mode takes is its own business. */
export type MediaMessage = ServerMessageOf<"answer" | "offer" | "signal" | "tile" | "mix">;

/**
 * The media path as the session shows it: `connecting` with the words for the status line, `connected`, or
 * `failed` (the session retries once some connection of the visit was up, else gives up).
 */
export type MediaStatus = { state: "connected" } | { state: "connecting"; status: MessageKey } | { state: "failed" };

export interface MediaEvents {
  /** A message for the server. */
  send(message: ClientMessageInput): void;
  onStatus(status: MediaStatus): void;
  /** Something went wrong that the call survives (one mesh peer failed): shown, and the call goes on. */
  onError(shown: Text): void;
  /** This connection's media cannot go on (the offer could not be made or answered): the session ends. */
  onFatal(shown: Text): void;
}

/** What a mode's media starts from, one connection's worth. */
export interface MediaContext {
  /** Our participant id in this connection's `joined`. */
  readonly selfId: string;
  readonly role: Role;
  readonly iceServers: RTCIceServer[];
  /** "relay": TURN relays only (the page's `&relay=1`). */
  readonly iceTransportPolicy: RTCIceTransportPolicy;
  /** The camera and microphone (a sender), or null (a viewer). */
  readonly local: MediaStream | null;
  /** Some earlier connection of this visit had its media up: a connection coming up is "reconnecting". */
  readonly wasConnected: boolean;
  readonly events: MediaEvents;
}

export interface RoomMedia {
  readonly mode: RoomMode;
  /**
   * Whether the session's connect timer waits for this media to come up: yes for a connection to the
   * server; mesh connections each have their own time limit (mesh.ts), and the room goes on without one.
   */
  readonly timed: boolean;
  /** After `joined`: our offer (mcu, sfu), or a call to everyone already here (mesh). */
  start(participants: readonly ParticipantInfo[]): void;
  /** A message about this connection's media; false when this mode has no use for it (the session logs it). */
  handle(message: MediaMessage): boolean;
  /** Who is in the room now (names for videos; mesh hangs up on whoever left). */
  setRoster(participants: readonly ParticipantInfo[]): void;
  /** Releases everything of this connection (its videos leave the page). */
  close(): void;
}

/** Makes the room mode's media object for one connection (the page's: mediaFactory in mcu/sfu/mesh wiring). */
export type CreateMedia = (mode: RoomMode, context: MediaContext) => RoomMedia;
