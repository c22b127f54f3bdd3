// Page parameters (`?room=R&name=N&role=viewer&mode=…&token=…&relay=1`) and join-field validation.
// `room`, `name`, `role`, `mode`, `token` and `relay` are a public contract: links and automation build these URLs.

import { cleanDisplayName } from "../protocol/displayName.js";
import { MAX_NAME_LENGTH } from "../protocol/limits.js";
import { ROOM_MODES, isRoomMode, type Role, type RoomMode } from "../protocol/messages.js";
import { toRoomName } from "../protocol/roomName.js";
import { text, type Text } from "./i18n/text.js";

export interface JoinOptions {
  room: string;
  name: string;
  role: Role;
  /** The mode asked for (undefined: the server's default); the room's first joiner decides, `joined.mode` says what it is. */
  mode?: RoomMode;
  /** The join token from the link (`&token=`); a server with JOIN_TOKEN_SECRET takes room, name and role from it. */
  token?: string;
  /** `&relay=1`: ICE uses TURN relays only (iceTransportPolicy "relay"), to check a TURN server works. */
  relay?: boolean;
}

export interface PageParams {
  room: string;
  name: string;
  role: string;
  /** Raw; checked by parseMode. */
  mode: string;
  /** `lang=ko`: the page's language (else the saved switch, else the browser's languages). */
  lang: string;
  /** `camera=off` / `mic=off`: join with that device off (auto-join and the pre-join's initial toggles). */
  camera: string;
  mic: string;
  /** "" when the link has none. */
  token: string;
  relay: boolean;
}

export function readPageParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  return {
    room: q.get("room") ?? "",
    name: q.get("name") ?? "",
    role: q.get("role") ?? "",
    mode: q.get("mode") ?? "",
    lang: q.get("lang") ?? "",
    camera: q.get("camera") ?? "",
    mic: q.get("mic") ?? "",
    token: q.get("token") ?? "",
    relay: q.get("relay") === "1",
  };
}

/** The page joins without the form when both `room` and `name` are in the URL. */
export function wantsAutoJoin(p: PageParams): boolean {
  return p.room !== "" && p.name !== "";
}

export type ParsedMode = { ok: true; mode: RoomMode | undefined } | { ok: false; error: Text };

/**
 * `mode` from the URL or the form: empty leaves the choice to the server (DEFAULT_MODE); anything else must be one of the
 * modes exactly. `inAddress`: the error says the mode came from the page's address.
 */
export function parseMode(raw: string, inAddress = false): ParsedMode {
  if (raw === "") return { ok: true, mode: undefined };
  if (isRoomMode(raw)) return { ok: true, mode: raw };
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  const choices = ROOM_MODES.map((m) => `"${m}"`);
  const [first, last] = [choices.slice(0, -1).join(", "), choices[choices.length - 1]];
  return { ok: false, error: text(inAddress ? "error.badModeInAddress" : "error.badMode", { mode: shown, first, last }) };
}

export type Validated = { ok: true; options: JoinOptions } | { ok: false; error: Text };

export function validateJoin(room: string, name: string, role: string, mode = ""): Validated {
  const r = role === "" ? "sender" : role;
  const roomName = toRoomName(room);
  if (roomName === undefined) return { ok: false, error: room === "" ? text("error.enterRoom") : text("error.badRoom", { room }) };
  // The server's own cleaning, so the page refuses what the server would and joins with the name others will see.
  const cleaned = cleanDisplayName(name);
  if (!cleaned.ok)
    return { ok: false, error: name.trim() === "" ? text("error.enterName") : text("error.badName", { problem: cleaned.problem }) };
  if (cleaned.name.length > MAX_NAME_LENGTH) return { ok: false, error: text("error.nameTooLong", { max: MAX_NAME_LENGTH }) };
  if (r !== "sender" && r !== "viewer") return { ok: false, error: text("error.badRole", { role }) };
  const m = parseMode(mode);
  if (!m.ok) return m;
  return { ok: true, options: { room: roomName, name: cleaned.name, role: r, ...(m.mode ? { mode: m.mode } : {}) } };
}
