// What the stage says when there is nobody to see: decided from the roster alone, so it is tested without a page.

import type { ParticipantInfo, Role, RoomMode } from "../protocol/messages.js";

/**
 * - `none`: someone else is here; no message.
 * - `alone-mix`: a sender alone in an MCU room: the mix shows them, so the message sits low on the stage.
 * - `alone`: a sender alone in an sfu or mesh room: nothing to show, the message is centred.
 * - `no-senders`: a viewer, and nobody is sending (other viewers do not count): a message instead of a black stage.
 */
export type EmptyState = "none" | "alone-mix" | "alone" | "no-senders";

export function emptyState(list: readonly ParticipantInfo[], selfId: string, role: Role, mode: RoomMode): EmptyState {
  if (role === "viewer") return list.some((p) => p.role === "sender" && p.id !== selfId) ? "none" : "no-senders";
  if (list.some((p) => p.id !== selfId)) return "none";
  return mode === "mcu" ? "alone-mix" : "alone";
}
