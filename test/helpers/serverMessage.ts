import { isDeepStrictEqual } from "node:util";
import type WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { parseServerMessage } from "../../protocol/parse.js";

/**
 * One frame from the server, checked against the protocol's own schema, as the browser client checks it.
 * Every integration test that reads signaling through here fails on a message the schema refuses, or on a
 * field the schema does not know (the client would drop it silently).
 */
export function readServerMessage(data: WebSocket.RawData | string): ServerMessage {
  const text = String(data);
  const parsed = parseServerMessage(text);
  if (!parsed.ok) throw new Error(`the server sent a message its protocol schema refuses (${parsed.problem}): ${text.slice(0, 300)}`);
  if (!isDeepStrictEqual(parsed.message, JSON.parse(text)))
    throw new Error(`the server sent fields its protocol schema does not have: ${text.slice(0, 300)}`);
  return parsed.message;
}
