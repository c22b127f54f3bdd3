import { z } from "zod";
import type { IceServer } from "../config.js";
import { cleanDisplayName } from "./displayName.js";

export const MAX_MESSAGE_BYTES = 64 * 1024;

export const roomNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "room must be 1-64 characters of A-Z a-z 0-9 _ -");
/** A display name, cleaned (NFC, no invisible, control or bidi characters: see displayName.ts), then limited in length. */
export const participantNameSchema = z
  .string()
  .transform((s, ctx) => {
    const cleaned = cleanDisplayName(s);
    if (cleaned.ok) return cleaned.name;
    ctx.addIssue({ code: "custom", message: cleaned.problem });
    return z.NEVER;
  })
  .pipe(z.string().max(40, "name must be at most 40 characters"));

export const roomModeSchema = z.enum(["mcu", "sfu", "mesh"]);
export type RoomMode = z.infer<typeof roomModeSchema>;

export const joinSchema = z.strictObject({
  type: z.literal("join"),
  room: roomNameSchema,
  name: participantNameSchema,
  role: z.enum(["sender", "viewer"]).default("sender"),
  mode: roomModeSchema.optional(),
});

const offerSchema = z.strictObject({ type: z.literal("offer"), sdp: z.string().min(1).max(60_000) });
const iceCandidateInit = z.strictObject({
  candidate: z.string().max(1000),
  sdpMid: z.string().max(64).nullish(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullish(),
  usernameFragment: z.string().max(256).nullish(),
});
const candidateSchema = z.strictObject({ type: z.literal("candidate"), candidate: iceCandidateInit.nullable() });
const answerSchema = z.strictObject({ type: z.literal("answer"), sdp: z.string().min(1).max(60_000) });
const signalSchema = z.strictObject({
  type: z.literal("signal"),
  to: z.string().min(1).max(64),
  data: z
    .strictObject({
      sdp: z.strictObject({ type: z.enum(["offer", "answer"]), sdp: z.string().min(1).max(60_000) }).optional(),
      candidate: iceCandidateInit.nullable().optional(),
    })
    .refine((d) => d.sdp !== undefined || d.candidate !== undefined, "data needs an sdp or a candidate"),
});
export type SignalData = z.infer<typeof signalSchema>["data"];
const muteSchema = z.strictObject({ type: z.literal("mute"), audio: z.boolean().optional(), video: z.boolean().optional() });
const leaveSchema = z.strictObject({ type: z.literal("leave") });
const recordSchema = z.strictObject({ type: z.literal("record"), action: z.enum(["start", "stop"]) });

const schemas = {
  join: joinSchema,
  offer: offerSchema,
  answer: answerSchema,
  candidate: candidateSchema,
  signal: signalSchema,
  mute: muteSchema,
  leave: leaveSchema,
  record: recordSchema,
} as const;

export type JoinMessage = z.infer<typeof joinSchema>;
export type ClientMessage = { [K in keyof typeof schemas]: z.infer<(typeof schemas)[K]> }[keyof typeof schemas];
export type Role = JoinMessage["role"];

export type ErrorCode =
  | "room-full"
  | "bad-join"
  | "bad-json"
  | "bad-message"
  | "unknown-type"
  | "too-large"
  | "binary-not-supported"
  | "not-joined"
  | "already-joined"
  | "already-negotiated"
  | "wrong-mode"
  | "unknown-participant"
  | "no-usable-codec"
  | "negotiation-failed"
  | "ice-failed"
  | "server-shutdown"
  | "recording-state"
  | "recording-failed"
  | "insufficient-storage"
  | "server-full"
  | "too-many-connections"
  | "rate-limited"
  | "too-many-sections"
  | "offer-timeout"
  | "room-failed";

export interface ParticipantInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly audioMuted: boolean;
  readonly videoMuted: boolean;
}

/** A room's recording as participants see it (the REC indicator); null when none is running. */
export type RecordingState = { readonly id: string; readonly startedAt: string } | null;

export type ServerMessage =
  | { type: "joined"; id: string; room: string; role: Role; mode: RoomMode; iceServers: readonly IceServer[]; output: { width: number; height: number; fps: number }; participants: readonly ParticipantInfo[]; recording: RecordingState }
  | { type: "recording"; recording: RecordingState }
  | { type: "answer"; sdp: string }
  | { type: "offer"; sdp: string }
  | { type: "signal"; from: string; data: SignalData }
  | { type: "tile"; width: number; height: number; maxBitrate: number }
  | { type: "participants"; participants: readonly ParticipantInfo[] }
  | { type: "error"; code: ErrorCode; message: string }
  | { type: "bye"; reason: string };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string };

/** Validates one text frame from a client. Never throws: every problem becomes an error naming it. */
export function parseClientMessage(raw: string): ParseResult {
  if (Buffer.byteLength(raw) > MAX_MESSAGE_BYTES) return { ok: false, code: "too-large", message: `message exceeds ${MAX_MESSAGE_BYTES} bytes` };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: "bad-json", message: "message is not valid JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { ok: false, code: "bad-message", message: "message must be a JSON object with a string \"type\"" };
  }
  const type = (data as { type?: unknown }).type;
  if (typeof type !== "string") return { ok: false, code: "bad-message", message: "message must have a string \"type\"" };
  if (!Object.hasOwn(schemas, type)) {
    return { ok: false, code: "unknown-type", message: `unknown message type "${type.slice(0, 40)}"; expected one of ${Object.keys(schemas).join(", ")}` };
  }
  const parsed = schemas[type as keyof typeof schemas].safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
    return { ok: false, code: type === "join" ? "bad-join" : "bad-message", message: `invalid "${type}" message: ${detail}` };
  }
  return { ok: true, message: parsed.data as ClientMessage };
}
