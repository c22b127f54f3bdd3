import type { Registry } from "prom-client";
import type { IceCandidate, RecordingState, Role, ServerMessage } from "../../protocol/messages.js";
import type { ErrorCode } from "../../protocol/errorCodes.js";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import type { Config } from "../config.js";
import type { LinkReport } from "../peers/linkMonitor.js";
import type { RecordingInfo, RecordingOrigin } from "../recordings/recordingInfo.js";
import type { RecordingOptions, RoomMediaStats } from "../rooms/capabilities.js";
import type { DisplayBox } from "../rooms/rungChooser.js";
import type { WebhookEvent } from "../webhooks/webhookEvents.js";

// The one seam between the server and its media workers (child processes forked with `serialization:
// "advanced"`). Both ends are this program, so the messages are typed, not validated: what a page sends is
// validated once, at the server's edge, before any of it reaches a worker.

/** The modes whose media runs in a worker (a mesh room has none: it stays in the server). */
export type WorkerRoomMode = "mcu" | "sfu";

/**
 * Each operation on a room in a worker: its arguments and what it resolves to. `member` is the participant
 * id, minted by the server's proxy; `channel` numbers one socket of a participant's (a resume gets a new one),
 * so what the room says to an old socket never reaches the new one.
 */
export interface RoomOps {
  /** `room` in every message is the proxy's key for this room, not its name: a room closing and one opened again under its name may overlap. */
  create: { args: { name: string; mode: WorkerRoomMode }; result: void };
  admit: {
    args: { member: string; resumeKey: string; name: string; role: Role; identity: string; channel: number; renegotiates: boolean };
    result: void;
  };
  resume: { args: { resumeKey: string; channel: number; renegotiates: boolean }; result: boolean };
  disconnected: { args: { member: string; reason: string }; result: void };
  remove: { args: { member: string; reason: string }; result: void };
  setMuted: { args: { member: string; mute: { audio?: boolean; video?: boolean } }; result: void };
  offer: { args: { member: string; sdp: string }; result: string };
  candidate: { args: { member: string; candidate: IceCandidate | null }; result: void };
  answer: { args: { member: string; sdp: string }; result: void };
  shareScreen: { args: { member: string; sdp: string }; result: string };
  screenCandidate: { args: { member: string; candidate: IceCandidate | null }; result: void };
  stopScreen: { args: { member: string; reason: string }; result: void };
  setLayout: { args: { choice: LayoutChoice }; result: void };
  setDisplay: { args: { member: string; display: DisplayBox }; result: void };
  startRecording: { args: { by: RecordingOrigin; options: RecordingOptions }; result: RecordingInfo };
  stopRecording: { args: { by: RecordingOrigin }; result: RecordingInfo };
  close: { args: { reason: string }; result: void };
}

export type RoomOp = keyof RoomOps;

export type RoomCall = { [K in RoomOp]: { kind: "call"; seq: number; room: string; op: K; args: RoomOps[K]["args"] } }[RoomOp];

/** What the server sends a worker. */
export type ToWorker =
  | { kind: "init"; index: number; config: Config }
  | RoomCall
  /** Its media counters, for /metrics (answered with `metrics`). */
  | { kind: "metrics"; seq: number }
  /** Every room is closed (recordings finished): finish the files' last work and exit. */
  | { kind: "exit" };

/** A thrown error as it crosses: a ProtocolError keeps its code, so signaling and the API answer it as before. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: ErrorCode;
}

/** What a room in a worker holds that the server's proxy answers synchronous getters from. */
export interface RoomState {
  readonly closing: boolean;
  readonly layout: LayoutChoice | undefined;
  readonly activeSpeaker: string | undefined;
  readonly recording: RecordingInfo | undefined;
  /** What pages are shown of the recording (the REC indicator): the room's own RecordingControl.recordingState. */
  readonly recordingState: RecordingState;
  readonly screenSharer: string | undefined;
  readonly mediaStats: RoomMediaStats | undefined;
  readonly links: ReadonlyArray<readonly [string, LinkReport]>;
}

/** A room's state before its worker's first push: what a fresh room reports. */
export const EMPTY_ROOM_STATE: RoomState = {
  closing: false,
  layout: { layout: "grid" },
  activeSpeaker: undefined,
  recording: undefined,
  recordingState: null,
  screenSharer: undefined,
  mediaStats: undefined,
  links: [],
};

/** The worker's own load, every second: what placement compares, and the per-worker gauges. */
export interface WorkerLoad {
  readonly rooms: number;
  readonly participants: number;
  /** CPU cores the worker process used over the last second. */
  readonly cpu: number;
  /** Event-loop delay p99 over the last second, ms. */
  readonly eventLoopDelayMs: number;
}

export type WorkerMetrics = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/** What a worker sends the server. */
export type FromWorker =
  /** Its IPC listener is up: the server sends `init`. */
  | { kind: "hello" }
  | { kind: "ready" }
  | { kind: "reply"; seq: number; ok: true; value: unknown }
  | { kind: "reply"; seq: number; ok: false; error: WireError }
  | { kind: "metrics"; seq: number; metrics: WorkerMetrics }
  /** The room says this to one socket of a participant's. */
  | { kind: "send"; room: string; channel: number; message: ServerMessage }
  | { kind: "closeChannel"; room: string; channel: number; reason: string }
  /** A room's webhook event (the proxy keeps its membership from participant.joined/left too). */
  | { kind: "event"; room: string; event: WebhookEvent }
  | { kind: "state"; room: string; state: RoomState }
  | { kind: "closed"; room: string }
  /** An ffmpeg child of the worker's rooms started or was reaped (the server's process group mirrors them). */
  | { kind: "process"; pid: number; label: string; running: boolean }
  | { kind: "load"; load: WorkerLoad };
