/**
 * The logger the media plane writes to: the control plane's pino logger fits it as it is. Fields are
 * structured (room, participant, pid), never formatted into the message.
 */
export interface MediaLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): MediaLogger;
}
