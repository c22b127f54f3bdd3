import * as z from "./zod.js";

/** Room names: letters, digits, `_` and `-`, so a name is safe in a URL, a log line and a metric label as it is. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const ROOM_NAME_RULE = "room must be 1-64 characters of A-Z a-z 0-9 _ -";

export const roomNameSchema = z.string().check(z.regex(ROOM_NAME_PATTERN, ROOM_NAME_RULE));

export function isRoomName(name: string): boolean {
  return ROOM_NAME_PATTERN.test(name);
}
