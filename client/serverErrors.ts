// What the page does with the server's `error` and `bye` messages, and the words it shows for them.

import type { ByeReason } from "../protocol/byeReasons.js";
import { isFatal, type ErrorCode } from "../protocol/errorCodes.js";
import type { RoomMode } from "../protocol/messages.js";
import type { Translate } from "./i18n/translator.js";

/** `end`: the session is over (show why, back to the form); `show`: say so and carry on; `ignore`: the console only. */
export type ErrorOutcome = "end" | "show" | "ignore";

// Not fatal for the server (the socket stays open), but this page offers once and will never play anything after them.
const GIVES_UP_ON: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "no-usable-codec",
  "negotiation-failed",
  "bad-offer",
  "already-negotiated",
  "wrong-mode",
]);

export function errorOutcome(code: ErrorCode, mode: RoomMode | null): ErrorOutcome {
  // The table decides what the server ends; the page must not carry on as if it had not.
  if (isFatal(code)) return "end";
  if (GIVES_UP_ON.has(code)) return "end";
  // A mesh signal (a late candidate, say) raced someone's departure: nothing the user needs to know.
  if (mode === "mesh" && code === "unknown-participant") return "ignore";
  return "show";
}

/** `t`: the page's language for the codes people meet (a full room, a server going away); the rest stay in English. */
export function describeServerError(code: ErrorCode, message: string, room: string, t?: Translate): string {
  if (t) {
    switch (code) {
      case "room-full":
        return t("error.roomFull", { room });
      case "server-full":
        return t("error.serverFull");
      case "server-shutdown":
        return t("error.shutdown");
      case "ice-failed":
        return t("error.iceFailed");
      case "room-failed":
        return t("error.roomFailed", { room });
      default:
        break;
    }
  }
  switch (code) {
    case "room-full":
      return `Room "${room}" is full: it already has the maximum number of people sending video. Try again later, or join as a viewer.`;
    case "server-full":
      return "The server already holds as many rooms as it can. Try again later.";
    case "server-shutdown":
      return "The server is shutting down. Try again in a moment.";
    case "node-unavailable":
      return "This server cannot open new rooms right now (it is stopping, or has lost contact with the others). Try again in a moment.";
    case "ice-failed":
      return "The media connection to the server failed (ICE found no working network path; a firewall may be blocking UDP).";
    case "unauthorized":
      return `This join link is not valid: ${message}. Ask whoever invited you for a new one.`;
    case "room-failed":
      return `Room "${room}" hit an internal error on the server and was closed. Join again to start it afresh.`;
    default:
      return message !== "" ? `Server error (${code}): ${message}` : `Server error: ${code}`;
  }
}

const BYE_TEXT: Readonly<Record<ByeReason, string>> = {
  left: "you left the room",
  kicked: "an operator removed you from the room",
  "room-closed": "the room was closed",
  "server-shutdown": "the server is shutting down",
  "room-failed": "the room hit an internal error and was closed",
  "ice-failed": "the media connection could not be established",
  "offer-timeout": "the media connection was not offered in time",
  "room-full": "the room is full",
  "bad-join": "the join request was refused",
  "server-full": "the server has no room for another room",
  "too-many-connections": "too many connections from this address",
  "node-unavailable": "this server cannot open new rooms right now",
  unauthorized: "the join link is not valid here",
  "forbidden-origin": "this page's address may not connect to the server",
  replaced: "this call continues in another window, tab or device",
};

export function describeBye(reason: ByeReason): string {
  return `The server ended the session: ${BYE_TEXT[reason]}.`;
}
