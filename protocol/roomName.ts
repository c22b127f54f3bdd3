import * as z from "./zod.js";

/**
 * Room names: letters and digits of any script (with their combining marks), `_` and `-`, NFC-normalised,
 * 1-64 code points. No spaces, punctuation or symbols, and nothing invisible (U+3164, the Hangul filler,
 * is a "letter" that draws nothing), so a name reads the same in a URL, a log line and a page. A room name
 * never names a file (recordings are named by server-made ids) and is never a path: `/` and `.` are refused.
 */
export const ROOM_NAME_PATTERN = /^(?!\p{M})(?:(?!\p{Default_Ignorable_Code_Point})[\p{L}\p{M}\p{Nd}_-]){1,64}$/u;

export const ROOM_NAME_RULE = "room must be 1-64 letters or digits (any script), _ or -";

/** Normalised to NFC first, so "한국" typed as jamo and as syllables is the same room. */
export const roomNameSchema = z.string().check(z.normalize("NFC"), z.regex(ROOM_NAME_PATTERN, ROOM_NAME_RULE));

/** `name` as the server will know it (NFC), or undefined if it cannot be a room name. */
export function toRoomName(name: string): string | undefined {
  const normalised = name.normalize("NFC");
  return ROOM_NAME_PATTERN.test(normalised) ? normalised : undefined;
}

export function isRoomName(name: string): boolean {
  return toRoomName(name) !== undefined;
}
