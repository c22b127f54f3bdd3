// Every signaling message, both directions (docs/protocol.md). The schemas are the source of the types:
// the server validates what clients send with them, the client validates what the server sends.
// Client messages are strict (an unknown field is refused, naming it); server messages are read leniently
// (unknown fields are dropped), so a page cached from an older release still reads a newer server's messages.

import { byeReasonSchema } from "./byeReasons.js";
import { displayNameSchema } from "./displayName.js";
import { errorCodeSchema } from "./errorCodes.js";
import {
  MAX_DISPLAY_CSS_PX,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PIXEL_RATIO,
  MAX_RESUME_KEY_LENGTH,
  MAX_SDP_CHARS,
  MAX_TOKEN_CHARS,
} from "./limits.js";
import { recordingFormats } from "./recordingFormat.js";
import { roomNameSchema } from "./roomName.js";
import * as z from "./zod.js";

export const ROLES = ["sender", "viewer"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** How a room carries media, fixed by its first joiner (docs/protocol.md, "Room modes"). */
export const ROOM_MODES = ["mcu", "sfu", "mesh"] as const;
export const roomModeSchema = z.enum(ROOM_MODES);
export type RoomMode = z.infer<typeof roomModeSchema>;

export function isRoomMode(value: unknown): value is RoomMode {
  return typeof value === "string" && (ROOM_MODES as readonly string[]).includes(value);
}

const sdpSchema = z.string().check(z.minLength(1), z.maxLength(MAX_SDP_CHARS));
const idSchema = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
const resumeKeySchema = z.string().check(z.minLength(1), z.maxLength(MAX_RESUME_KEY_LENGTH));

/** RTCIceCandidateInit as signaling carries it; null elsewhere means the end of candidates. */
export const iceCandidateSchema = z.strictObject({
  candidate: z.string().check(z.maxLength(1000)),
  sdpMid: z.nullish(z.string().check(z.maxLength(64))),
  sdpMLineIndex: z.nullish(z.int().check(z.minimum(0), z.maximum(64))),
  usernameFragment: z.nullish(z.string().check(z.maxLength(256))),
});
export type IceCandidate = z.infer<typeof iceCandidateSchema>;

/** The payload of a mesh `signal`, relayed unchanged from one participant to another. */
export const signalDataSchema = z
  .strictObject({
    sdp: z.optional(z.strictObject({ type: z.enum(["offer", "answer"]), sdp: sdpSchema })),
    candidate: z.optional(z.nullable(iceCandidateSchema)),
  })
  .check(z.refine((d) => d.sdp !== undefined || d.candidate !== undefined, "data needs an sdp or a candidate"));
export type SignalData = z.infer<typeof signalDataSchema>;

// Client to server.

export const joinSchema = z.strictObject({
  type: z.literal("join"),
  room: roomNameSchema,
  name: displayNameSchema,
  role: z._default(roleSchema, "sender"),
  mode: z.optional(roomModeSchema),
  /**
   * The `resume` key of an earlier `joined`: come back as that participant (same id, same tile) while the
   * server still holds their place. A key the server does not know (it restarted, the grace period ran out)
   * is no error: the join is an ordinary one.
   */
  resume: z.optional(resumeKeySchema),
  /** A join token (JWT) when the server requires one: room, name and role are then the token's. */
  token: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_TOKEN_CHARS))),
});

/** The shapes the composite comes in: 16:9, or 9:16 for a phone held upright. */
export const MIX_SHAPES = ["landscape", "portrait"] as const;

/**
 * MCU rooms: the box the page shows the mix in, in CSS pixels, its devicePixelRatio, and the shape the page
 * lays the mix out for; sent after joining and again on resize and rotation. The server never sends a
 * receiver a larger picture than this box holds in device pixels.
 */
export const displayMessageSchema = z.strictObject({
  type: z.literal("display"),
  width: z.int().check(z.minimum(1), z.maximum(MAX_DISPLAY_CSS_PX)),
  height: z.int().check(z.minimum(1), z.maximum(MAX_DISPLAY_CSS_PX)),
  pixelRatio: z.number().check(z.minimum(0.25), z.maximum(MAX_PIXEL_RATIO)),
  orientation: z.enum(MIX_SHAPES),
});
export type DisplayMessage = z.infer<typeof displayMessageSchema>;

/** Each client message type's schema: the server looks the type up first, so an unknown one is named as such. */
export const clientMessageSchemas = {
  join: joinSchema,
  offer: z.strictObject({ type: z.literal("offer"), sdp: sdpSchema }),
  answer: z.strictObject({ type: z.literal("answer"), sdp: sdpSchema }),
  candidate: z.strictObject({ type: z.literal("candidate"), candidate: z.nullable(iceCandidateSchema) }),
  signal: z.strictObject({ type: z.literal("signal"), to: idSchema, data: signalDataSchema }),
  mute: z.strictObject({ type: z.literal("mute"), audio: z.optional(z.boolean()), video: z.optional(z.boolean()) }),
  leave: z.strictObject({ type: z.literal("leave") }),
  /** `format` and `voices` only with start; the server's RECORDING_FORMAT and RECORDING_VOICES when absent. */
  record: z.strictObject({
    type: z.literal("record"),
    action: z.enum(["start", "stop"]),
    format: z.optional(z.enum(recordingFormats)),
    voices: z.optional(z.boolean()),
  }),
  display: displayMessageSchema,
  /**
   * MCU rooms, senders: start sharing a screen. The offer is for a second peer connection of this
   * participant's (docs/decisions.md, "Screen sharing on a second peer connection"), one sendonly video
   * section; answered by `screenAnswer`, refused with `screen-busy` while someone else shares.
   */
  screenOffer: z.strictObject({ type: z.literal("screenOffer"), sdp: sdpSchema }),
  /** The screen connection's ICE candidates (null: the end of them). */
  screenCandidate: z.strictObject({ type: z.literal("screenCandidate"), candidate: z.nullable(iceCandidateSchema) }),
  /** Stop sharing (the button, or the browser's own "stop sharing"). */
  screenStop: z.strictObject({ type: z.literal("screenStop") }),
} as const;

type ClientSchemas = typeof clientMessageSchemas;
export type ClientMessageType = keyof ClientSchemas;
/** A client message as the server handles it: validated, the name cleaned, the role filled in. */
export type ClientMessage = { [K in ClientMessageType]: z.output<ClientSchemas[K]> }[ClientMessageType];
/** A client message as a client may send it (`role` may be left out, `name` is cleaned by the server). */
export type ClientMessageInput = { [K in ClientMessageType]: z.input<ClientSchemas[K]> }[ClientMessageType];
export type JoinMessage = z.output<typeof joinSchema>;

// Server to client.

export const participantInfoSchema = z.object({
  id: idSchema,
  name: z.string().check(z.minLength(1), z.maxLength(MAX_NAME_LENGTH)),
  role: roleSchema,
  audioMuted: z.boolean(),
  videoMuted: z.boolean(),
});
export type ParticipantInfo = z.infer<typeof participantInfoSchema>;

/** The room's recording as participants see it (the REC indicator); null while none is running. */
export const recordingStateSchema = z.nullable(
  z.object({
    id: z.string().check(z.minLength(1)),
    startedAt: z.string(),
    /** The display name of the participant who started it; absent when the control API or the room's settings did. */
    startedBy: z.optional(z.string()),
  }),
);
export type RecordingState = z.infer<typeof recordingStateSchema>;

/** RTCIceServer, as the server hands its STUN/TURN servers to clients. */
export const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.optional(z.string()),
  credential: z.optional(z.string()),
});

const positive = () => z.number().check(z.positive());

/**
 * The size of the sender's tile in the mix and the bitrate it is worth: send no larger. `source: "screen"` is the
 * shared screen's tile (absent: the camera's).
 */
export const tileMessageSchema = z.object({
  type: z.literal("tile"),
  width: positive(),
  height: positive(),
  maxBitrate: positive(),
  source: z.optional(z.enum(["camera", "screen"])),
});
export type TileMessage = z.infer<typeof tileMessageSchema>;

export const serverMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("joined"),
    id: idSchema,
    room: roomNameSchema,
    role: roleSchema,
    mode: roomModeSchema,
    iceServers: z.array(iceServerSchema),
    output: z.object({ width: z.int().check(z.positive()), height: z.int().check(z.positive()), fps: positive() }),
    participants: z.array(participantInfoSchema),
    recording: recordingStateSchema,
    /** A secret for this participant: `join` with it after a dropped connection to come back as them. Absent in mesh rooms. */
    resume: z.optional(resumeKeySchema),
  }),
  z.object({ type: z.literal("answer"), sdp: sdpSchema }),
  z.object({ type: z.literal("offer"), sdp: sdpSchema }),
  z.object({ type: z.literal("signal"), from: idSchema, data: signalDataSchema }),
  tileMessageSchema,
  z.object({ type: z.literal("participants"), participants: z.array(participantInfoSchema) }),
  z.object({ type: z.literal("recording"), recording: recordingStateSchema }),
  // MCU rooms: who the mixer hears speaking now (the tile it highlights); null: nobody, or the speaker left.
  z.object({ type: z.literal("speaker"), id: z.nullable(idSchema) }),
  /**
   * MCU rooms: the mix this participant is sent now: its size, or `paused` (size 0x0) when the link affords
   * not even the smallest (the sound goes on; the picture resumes by itself). Sent on every change.
   */
  z.object({ type: z.literal("mix"), width: z.int().check(z.minimum(0)), height: z.int().check(z.minimum(0)), paused: z.boolean() }),
  /** MCU rooms: the answer to `screenOffer`. */
  z.object({ type: z.literal("screenAnswer"), sdp: sdpSchema }),
  /** MCU rooms: who shares a screen now (null: nobody); sent to everyone on each change, and to a joiner. */
  z.object({ type: z.literal("screen"), id: z.nullable(idSchema), reason: z.optional(z.string()) }),
  z.object({ type: z.literal("error"), code: errorCodeSchema, message: z.string() }),
  z.object({ type: z.literal("bye"), reason: byeReasonSchema }),
  /** Cluster: the room lives on another node; connect the socket to `url` (ws(s)://…/ws there) and join again. */
  z.object({ type: z.literal("redirect"), url: z.string().check(z.regex(/^wss?:\/\/[^\s]+$/)), room: roomNameSchema }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type ServerMessageType = ServerMessage["type"];
/** One type of server message, e.g. `ServerMessageOf<"joined">`. */
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
