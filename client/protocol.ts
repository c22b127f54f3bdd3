// Message shapes of the signaling protocol (docs/protocol.md), as seen from the browser.

export type Role = "sender" | "viewer";

export interface ParticipantInfo {
  id: string;
  name: string;
  role: Role;
  audioMuted: boolean;
  videoMuted: boolean;
}

export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

export type ClientMessage =
  | { type: "join"; room: string; name: string; role: Role }
  | { type: "offer"; sdp: string }
  | { type: "candidate"; candidate: CandidateInit | null }
  | { type: "mute"; audio?: boolean; video?: boolean }
  | { type: "leave" };

export interface TileMessage {
  type: "tile";
  width: number;
  height: number;
  maxBitrate: number;
}

export type ServerMessage =
  | {
      type: "joined";
      id: string;
      room: string;
      role: Role;
      iceServers: RTCIceServer[];
      output: { width: number; height: number; fps: number } | null;
      participants: ParticipantInfo[];
    }
  | { type: "answer"; sdp: string }
  | TileMessage
  | { type: "participants"; participants: ParticipantInfo[] }
  | { type: "error"; code: string; message: string }
  | { type: "bye"; reason: string };

/** Error codes after which the server closes the connection. */
export const FATAL_ERROR_CODES: ReadonlySet<string> = new Set(["room-full", "bad-join", "ice-failed", "server-shutdown"]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isPositive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;
const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback);

function parseParticipant(v: unknown): ParticipantInfo | null {
  if (!isObject(v)) return null;
  const id = str(v.id);
  if (id === "") return null;
  return {
    id,
    name: str(v.name, "?"),
    role: v.role === "viewer" ? "viewer" : "sender",
    audioMuted: v.audioMuted === true,
    videoMuted: v.videoMuted === true,
  };
}

function parseParticipants(v: unknown): ParticipantInfo[] {
  if (!Array.isArray(v)) return [];
  return v.map(parseParticipant).filter((p): p is ParticipantInfo => p !== null);
}

function parseIceServers(v: unknown): RTCIceServer[] {
  if (!Array.isArray(v)) return [];
  return v.filter((s): s is RTCIceServer => isObject(s) && (typeof s.urls === "string" || Array.isArray(s.urls)));
}

/**
 * Turns one text frame from the server into a typed message, or null when it is not valid JSON or
 * not a message this client understands (the caller logs it and carries on).
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  switch (v.type) {
    case "joined": {
      const o = v.output;
      const output =
        isObject(o) && isPositive(o.width) && isPositive(o.height)
          ? { width: o.width, height: o.height, fps: isPositive(o.fps) ? o.fps : 0 }
          : null;
      return {
        type: "joined",
        id: str(v.id),
        room: str(v.room),
        role: v.role === "viewer" ? "viewer" : "sender",
        iceServers: parseIceServers(v.iceServers),
        output,
        participants: parseParticipants(v.participants),
      };
    }
    case "answer":
      return typeof v.sdp === "string" ? { type: "answer", sdp: v.sdp } : null;
    case "tile":
      return isPositive(v.width) && isPositive(v.height) && isPositive(v.maxBitrate)
        ? { type: "tile", width: v.width, height: v.height, maxBitrate: v.maxBitrate }
        : null;
    case "participants":
      return { type: "participants", participants: parseParticipants(v.participants) };
    case "error":
      return { type: "error", code: str(v.code, "unknown"), message: str(v.message) };
    case "bye":
      return { type: "bye", reason: str(v.reason) };
    default:
      return null;
  }
}
