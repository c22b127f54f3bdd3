import type { z } from "zod";
import type { ConferenceRoom } from "../../rooms/conferenceRoom.js";
import type { RoomRegistry } from "../../rooms/roomRegistry.js";
import { ApiError } from "./apiError.js";

/** The live room called `name`, or a 404 naming it. */
export function roomOr404(rooms: RoomRegistry, name: string): ConferenceRoom {
  const room = rooms.get(name);
  if (!room || room.isClosing) throw new ApiError(404, "unknown-room", `no room "${name.slice(0, 64)}" is open`);
  return room;
}

/** A request body checked against `schema`, or a 400 listing what is wrong with it. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  throw new ApiError(400, "bad-request", `invalid request body: ${detail}`);
}
