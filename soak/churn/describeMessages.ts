import type { ServerMessage } from "../../protocol/messages.js";

/** Message types in order; errors and byes with their code or reason, which is what a failure report needs. */
export function describeMessages(messages: readonly ServerMessage[]): string {
  return messages
    .map((m) => (m.type === "error" ? `error:${m.code}(${m.message.slice(0, 120)})` : m.type === "bye" ? `bye(${m.reason})` : m.type))
    .join(", ");
}
