// Cluster: the room lives on another node, which the server names in `redirect`. The page opens its
// socket there and joins again; media then goes straight to that node (docs/scaling.md).

import type { ServerMessageOf } from "../protocol/messages.js";
import { Signaling, type SignalingHandlers } from "./signaling.js";

/** More than this many in a row is a loop between misconfigured nodes, not a room moving. */
export const MAX_REDIRECTS = 3;

/** The socket to use next, or why the page must give up instead. */
export function followRedirect(current: Signaling | null, message: ServerMessageOf<"redirect">, count: number, joined: boolean, handlers: SignalingHandlers): Signaling | string {
  if (joined) return "The server asked this page to move to another server after it had joined the room.";
  if (count > MAX_REDIRECTS) return `The servers sent this page on more than ${MAX_REDIRECTS} times without admitting it to room "${message.room}".`;
  current?.close();
  return new Signaling(message.url, handlers);
}
