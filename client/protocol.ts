// Message shapes of the signaling protocol (docs/protocol.md), as seen from the browser.

export type Role = "sender" | "viewer";

/** How a room carries media (docs/protocol.md, "Room modes"); fixed by the room's first joiner. */
export type RoomMode = "mcu" | "sfu" | "mesh";
export const ROOM_MODES: readonly RoomMode[] = ["mcu", "sfu", "mesh"];

export function isRoomMode(v: unknown): v is RoomMode {
  return typeof v === "string" && (ROOM_MODES as readonly string[]).includes(v);
}

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

/** The payload of a mesh `signal`, relayed unchanged between two participants. */
export interface SignalData {
  sdp?: { type: "offer" | "answer"; sdp: string };
  candidate?: CandidateInit | null;
}

export type ClientMessage =
  | { type: "join"; room: string; name: string; role: Role; mode?: RoomMode }
  | { type: "offer"; sdp: string }
  | { type: "answer"; sdp: string }
  | { type: "signal"; to: string; data: SignalData }
  | { type: "candidate"; candidate: CandidateInit | null }
  | { type: "mute"; audio?: boolean; video?: boolean }
  | { type: "record"; action: "start" | "stop" }
  | { type: "leave" };

/** The room's recording in progress (the REC indicator), or null. */
export type RecordingState = { id: string; startedAt: string } | null;

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
      mode: RoomMode;
      iceServers: RTCIceServer[];
      output: { width: number; height: number; fps: number } | null;
      participants: ParticipantInfo[];
      recording: RecordingState;
    }
  | { type: "recording"; recording: RecordingState }
  | { type: "answer"; sdp: string }
  | { type: "offer"; sdp: string }
  | { type: "signal"; from: string; data: SignalData }
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

function parseCandidate(v: unknown): CandidateInit | null | undefined {
  if (v === null) return null;
  if (!isObject(v) || typeof v.candidate !== "string") return undefined;
  const c: CandidateInit = { candidate: v.candidate };
  if (typeof v.sdpMid === "string" || v.sdpMid === null) c.sdpMid = v.sdpMid;
  if (typeof v.sdpMLineIndex === "number" || v.sdpMLineIndex === null) c.sdpMLineIndex = v.sdpMLineIndex;
  return c;
}

/** A signal's data; null when it carries neither a usable sdp nor a candidate. */
function parseSignalData(v: unknown): SignalData | null {
  if (!isObject(v)) return null;
  const data: SignalData = {};
  const sdp = v.sdp;
  if (isObject(sdp) && (sdp.type === "offer" || sdp.type === "answer") && typeof sdp.sdp === "string") {
    data.sdp = { type: sdp.type, sdp: sdp.sdp };
  }
  const candidate = parseCandidate(v.candidate);
  if (candidate !== undefined) data.candidate = candidate;
  return data.sdp !== undefined || data.candidate !== undefined ? data : null;
}

function parseRecording(v: unknown): RecordingState {
  return isObject(v) && typeof v.id === "string" && v.id !== "" ? { id: v.id, startedAt: str(v.startedAt) } : null;
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
        // A server from before room modes sends none: it only mixes.
        mode: isRoomMode(v.mode) ? v.mode : "mcu",
        iceServers: parseIceServers(v.iceServers),
        output,
        participants: parseParticipants(v.participants),
        recording: parseRecording(v.recording),
      };
    }
    case "recording":
      return { type: "recording", recording: parseRecording(v.recording) };
    case "answer":
      return typeof v.sdp === "string" ? { type: "answer", sdp: v.sdp } : null;
    case "offer":
      return typeof v.sdp === "string" ? { type: "offer", sdp: v.sdp } : null;
    case "signal": {
      const data = parseSignalData(v.data);
      const from = str(v.from);
      return data && from !== "" ? { type: "signal", from, data } : null;
    }
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
