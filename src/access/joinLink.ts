import type { Role } from "../../protocol/messages.js";

/**
 * The page address that joins as a token says: room, name and role in the URL (so the page opens the camera
 * only for a sender and can show the room before it joins), the token for the server, which trusts only it.
 */
export function joinLink(base: string, grant: { room: string; name: string; role: Role }, token: string): string {
  const q = new URLSearchParams({ room: grant.room, name: grant.name, ...(grant.role === "viewer" ? { role: "viewer" } : {}), token });
  return `${base.replace(/\/+$/, "")}/?${q.toString()}`;
}
