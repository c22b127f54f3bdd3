// What the page does with the server's `error` and `bye` messages, and the words it shows for them.

import type { ByeReason } from "../protocol/byeReasons.js";
import { isFatal, type ErrorCode } from "../protocol/errorCodes.js";
import type { RoomMode } from "../protocol/messages.js";
import { text, type Text } from "./i18n/text.js";

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

/** The words for a server's `error`: the codes people meet have their own sentence, the rest show code and detail. */
export function describeServerError(code: ErrorCode, message: string, room: string): Text {
  switch (code) {
    case "room-full":
      return text("error.roomFull", { room });
    case "server-full":
      return text("error.serverFull");
    case "server-shutdown":
      return text("error.shutdown");
    case "node-unavailable":
      return text("error.nodeUnavailable");
    case "ice-failed":
      return text("error.iceFailed");
    case "unauthorized":
      return text("error.unauthorized", { detail: message });
    case "room-failed":
      return text("error.roomFailed", { room });
    default:
      return message !== "" ? text("error.server", { code, detail: message }) : text("error.serverCode", { code });
  }
}

export function describeBye(reason: ByeReason): Text {
  return text("error.bye", { reason: text(`bye.${reason}`) });
}
