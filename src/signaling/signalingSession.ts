import type { WebSocket } from "ws";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { NegotiationError } from "../peers/peerSession.js";
import { BadSignalError, RecordingStateError, UnknownParticipantError, WrongModeError, type ConferenceRoom } from "../rooms/conferenceRoom.js";
import { participantInfo, type Member, type ParticipantChannel } from "../rooms/participant.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { parseClientMessage, type ClientMessage, type ErrorCode, type RoomMode, type ServerMessage } from "./messages.js";

/**
 * One WebSocket's conversation: join, offer, candidates, mutes, leave. Every problem is answered with
 * an error message on this socket only; a fatal one (room full, bad join) also closes it.
 */
export class SignalingSession implements ParticipantChannel {
  private room: ConferenceRoom | undefined;
  private participant: Member | undefined;
  private offered = false;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly rooms: RoomRegistry,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    socket.on("message", (data, isBinary) => {
      if (isBinary) return this.error("binary-not-supported", "binary frames are not supported; send JSON text");
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
      void this.handle(text).catch((err: unknown) => {
        this.log.error("signaling handler failed", { room: this.room?.name, participant: this.participant?.id, error: (err as Error).message });
      });
    });
    socket.on("close", () => this.leave("connection closed"));
    socket.on("error", () => this.leave("connection error"));
  }

  send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.participant = undefined;
    this.send({ type: "bye", reason });
    this.socket.close(1000, reason.slice(0, 120));
  }

  private error(code: ErrorCode, message: string, fatal = false): void {
    this.send({ type: "error", code, message });
    if (fatal) {
      this.closed = true;
      this.socket.close(1008, code);
    }
  }

  private async handle(text: string): Promise<void> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.error(parsed.code, parsed.message, parsed.code === "bad-join");
    const message: ClientMessage = parsed.message;
    switch (message.type) {
      case "join":
        return this.join(message.room, message.name, message.role, message.mode);
      case "offer":
        return this.offer(message.sdp);
      case "answer":
        if (!this.participant || !this.room) return this.error("not-joined", "send join first");
        await this.room.answer(this.participant.id, message.sdp).catch((err: Error) => this.reportRoomError(err, "answer rejected"));
        return;
      case "candidate":
        if (!this.participant || !this.room) return this.error("not-joined", "send join first");
        if (this.room.mode !== "mesh" && !this.offered) return this.error("bad-message", "send the offer before candidates");
        await this.room.candidate(this.participant.id, message.candidate).catch((err: Error) => this.reportRoomError(err, "candidate rejected"));
        return;
      case "signal":
        if (!this.participant || !this.room) return this.error("not-joined", "send join first");
        try {
          this.room.signal(this.participant.id, message.to, message.data);
        } catch (err) {
          this.reportRoomError(err as Error, "signal rejected");
        }
        return;
      case "mute":
        if (!this.participant || !this.room) return this.error("not-joined", "send join first");
        this.room.setMuted(this.participant.id, { audio: message.audio, video: message.video });
        return;
      case "record":
        return this.record(message.action);
      case "leave":
        await this.leave("left");
        this.close("left");
        return;
    }
  }

  /** Everyone in the room learns the outcome from the `recording` broadcast; only failures answer here. */
  private async record(action: "start" | "stop"): Promise<void> {
    const room = this.room;
    if (!this.participant || !room) return this.error("not-joined", "send join first");
    // Viewers watch; only the people on camera decide to record (operators use the token-protected API).
    if (this.participant.role !== "sender") return this.error("recording-state", "only senders can start or stop a recording; viewers cannot");
    try {
      await (action === "start" ? room.startRecording() : room.stopRecording());
    } catch (err) {
      if (err instanceof WrongModeError) return this.error("wrong-mode", err.message);
      if (err instanceof RecordingStateError) return this.error("recording-state", err.message);
      this.log.error("recording request failed", { action, error: (err as Error).message });
      this.error("recording-failed", `could not ${action} the recording: ${(err as Error).message}`);
    }
  }

  private reportRoomError(err: Error, context: string): void {
    if (err instanceof WrongModeError) return this.error("wrong-mode", err.message);
    if (err instanceof BadSignalError) return this.error("bad-message", err.message);
    if (err instanceof UnknownParticipantError) return this.error("unknown-participant", err.message);
    this.error("bad-message", `${context}: ${err.message}`);
  }

  private join(roomName: string, name: string, role: "sender" | "viewer", mode: RoomMode | undefined): void {
    if (this.participant || this.room) return this.error("already-joined", "this connection has already joined a room");
    const room = this.rooms.getOrCreate(roomName, mode);
    const admitted = room.admit(name, role, this);
    if (!admitted.ok) {
      this.error(admitted.code, admitted.message, true);
      return;
    }
    this.room = room;
    this.participant = admitted.participant;
    this.send({
      type: "joined",
      id: admitted.participant.id,
      room: roomName,
      role,
      mode: room.mode,
      iceServers: this.config.iceServers,
      output: { width: this.config.output.width, height: this.config.output.height, fps: this.config.output.fps },
      participants: room.list().map(participantInfo),
      recording: room.activeRecording ? { id: room.activeRecording.id, startedAt: room.activeRecording.startedAt } : null,
    });
  }

  private async offer(sdp: string): Promise<void> {
    const participant = this.participant;
    const room = this.room;
    if (!participant || !room) return this.error("not-joined", "send join first");
    if (this.offered) return this.error("already-negotiated", "this connection already sent its offer");
    this.offered = true;
    try {
      const answer = await room.offer(participant.id, sdp);
      this.send({ type: "answer", sdp: answer });
    } catch (err) {
      this.offered = false;
      if (err instanceof WrongModeError) return this.error("wrong-mode", err.message);
      // A failed negotiation leaves the participant unable to send or receive: take them out cleanly.
      const code = err instanceof NegotiationError ? err.code : "negotiation-failed";
      this.error(code, (err as Error).message);
      await this.replacePeerAfterFailure();
    }
  }

  /** After a rejected offer the participant may try again with a better one, on a fresh peer. */
  private async replacePeerAfterFailure(): Promise<void> {
    const room = this.room;
    const old = this.participant;
    if (!room || !old) return;
    await room.remove(old.id, "offer rejected");
    this.participant = undefined;
    this.room = undefined;
    if (this.closed) return;
    const target = this.rooms.getOrCreate(room.name, room.mode);
    const again = target.admit(old.name, old.role, this);
    if (!again.ok) return this.error(again.code, again.message, true);
    this.room = target;
    this.participant = again.participant;
  }

  private async leave(reason: string): Promise<void> {
    const room = this.room;
    const participant = this.participant;
    this.room = undefined;
    this.participant = undefined;
    if (room && participant) await room.remove(participant.id, reason);
  }
}
