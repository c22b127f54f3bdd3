import { z } from "zod";
import { roomNameSchema } from "../../../protocol/roomName.js";
import type { ConferenceRoom } from "../../rooms/conferenceRoom.js";
import type { RoomRegistry } from "../../rooms/roomRegistry.js";
import { ApiError } from "./apiError.js";

/** A path parameter checked against `schema` (classic zod, or the protocol's zod/mini), or a 400 naming it. */
export function param(what: string, schema: z.core.$ZodType<string>, value: unknown): string {
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, "bad-request", `invalid ${what} in the path: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
}

/** The live room called `name` (400 if it cannot be a room name), or a 404 naming it. */
export function roomOr404(rooms: RoomRegistry, rawName: string): ConferenceRoom {
  const name = param("room", roomNameSchema, rawName);
  const room = rooms.get(name);
  if (!room || room.isClosing) throw new ApiError(404, "unknown-room", `no room "${name.slice(0, 64)}" is open`);
  return room;
}

/** A request body checked against `schema` (classic zod, or the protocol's zod/mini), or a 400 listing what is wrong with it. */
export function parseBody<S extends z.core.$ZodType>(schema: S, body: unknown): z.core.output<S> {
  const parsed = z.safeParse(schema, body);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  throw new ApiError(400, "bad-request", `invalid request body: ${detail}`);
}
