// One text frame to one typed message, for each side. Neither throws: every problem is named, so the server
// can answer it and the client can report it.

import type { ErrorCode } from "./errorCodes.js";
import { exceedsMessageLimit, MAX_MESSAGE_BYTES } from "./limits.js";
import { clientMessageSchemas, serverMessageSchema, type ClientMessage, type ServerMessage } from "./messages.js";
import * as z from "./zod.js";

export type ClientParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/** A client's frame as the server reads it: the error code and message to answer with when it is refused. */
export function parseClientMessage(raw: string): ClientParseResult {
  if (exceedsMessageLimit(raw)) return { ok: false, code: "too-large", message: `message exceeds ${MAX_MESSAGE_BYTES} bytes` };
  const data = parseJsonObject(raw);
  if (data === "not-json") return { ok: false, code: "bad-json", message: "message is not valid JSON" };
  if (data === "not-an-object") return { ok: false, code: "bad-message", message: 'message must be a JSON object with a string "type"' };
  const type = data.type;
  if (typeof type !== "string") return { ok: false, code: "bad-message", message: 'message must have a string "type"' };
  if (!Object.hasOwn(clientMessageSchemas, type)) {
    return {
      ok: false,
      code: "unknown-type",
      message: `unknown message type "${type.slice(0, 40)}"; expected one of ${Object.keys(clientMessageSchemas).join(", ")}`,
    };
  }
  const parsed = z.safeParse(clientMessageSchemas[type as keyof typeof clientMessageSchemas], data);
  if (!parsed.success)
    return {
      ok: false,
      code: type === "join" ? "bad-join" : "bad-message",
      message: `invalid "${type}" message: ${describeIssues(parsed.error)}`,
    };
  return { ok: true, message: parsed.data as ClientMessage };
}

export type ServerParseResult = { ok: true; message: ServerMessage } | { ok: false; problem: string };

/** The server's frame as the client reads it; a message that does not match its schema is not used. */
export function parseServerMessage(raw: string): ServerParseResult {
  const data = parseJsonObject(raw);
  if (data === "not-json") return { ok: false, problem: "not valid JSON" };
  if (data === "not-an-object") return { ok: false, problem: "not a JSON object" };
  const parsed = z.safeParse(serverMessageSchema, data);
  if (!parsed.success) {
    const type = typeof data.type === "string" ? `"${data.type.slice(0, 40)}" ` : "";
    return { ok: false, problem: `invalid ${type}message: ${describeIssues(parsed.error)}` };
  }
  return { ok: true, message: parsed.data };
}

/** "path.to.field: what is wrong; …", the form both sides show. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

function parseJsonObject(raw: string): Record<string, unknown> | "not-json" | "not-an-object" {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return "not-json";
  }
  return typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : "not-an-object";
}
