import type { WebSocket } from "ws";
import type { RecordingOptions } from "../rooms/capabilities.js";
import type { Cluster, NodeRef } from "../cluster/cluster.js";
import { SingleNode } from "../cluster/singleNode.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { capability } from "../rooms/capabilities.js";
import type { ConferenceRoom } from "../rooms/conferenceRoom.js";
import { participantInfo, type Member, type ParticipantChannel } from "../rooms/participant.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import { isByeReason, type ByeReason } from "../../protocol/byeReasons.js";
import { isFatal, type ErrorCode } from "../../protocol/errorCodes.js";
import type { ClientMessage, JoinMessage, ServerMessage } from "../../protocol/messages.js";
import { parseClientMessage } from "../../protocol/parse.js";
import { protocolCodeOf } from "../../protocol/protocolError.js";
import { RateLimiter } from "./rateLimiter.js";
import { enterRoom, type RoomEntryDeps } from "./roomEntry.js";
import { iceServersFor } from "../access/turnCredentials.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";

/** Per socket: a burst of 60 messages (join, offer, a browser's first candidates), then 10 a second. */
const MESSAGE_BURST = 60;
const MESSAGES_PER_SECOND = 10;
/** A client over its rate hears about it at most this often, so a flood does not become a flood of errors. */
const RATE_ERROR_INTERVAL_MS = 1000;

// WebSocket close codes: a refused session is a policy violation, any other end a normal closure.
const CLOSE_NORMAL = 1000;
const CLOSE_REFUSED = 1008;
/** What ws reports for a close frame without a status code. */
const CLOSE_NO_STATUS = 1005;

/** Rooms close sessions for reasons in their own words (their log's); on the wire a reason is a ByeReason. */
function byeReasonOf(reason: string): ByeReason {
  return isByeReason(reason) ? reason : "room-closed";
}

/**
 * One WebSocket's conversation: join, offer, candidates, mutes, leave. Messages are handled one at a
 * time, in order, so an offer is finished (answered or refused) before the next message is looked at.
 * Every problem is answered with an error message on this socket only. An error protocol/errorCodes.ts
 * marks fatal ends the session, whoever reports it (this session refusing a join, the room dropping a
 * participant, the server stopping): `bye` with the error's code follows and the socket closes. A
 * participant leaves when they say `leave` or close the socket cleanly; a socket that drops is handed to
 * the room, which may hold their place for a `join` with their resume key (RECONNECT_GRACE_MS).
 */
export class SignalingSession implements ParticipantChannel {
  private room: ConferenceRoom | undefined;
  private participant: Member | undefined;
  /** While a join is being admitted: what the room sent meanwhile, transmitted right after `joined`. */
  private heldUntilJoined: ServerMessage[] | undefined;
  /** From the join token (or, without tokens, the role): may this participant start and stop recordings. */
  private mayRecord = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly limiter = new RateLimiter(MESSAGES_PER_SECOND, MESSAGE_BURST);
  private lastRateError = -Infinity;

  private readonly entryDeps: RoomEntryDeps;

  constructor(
    private readonly socket: WebSocket,
    rooms: RoomRegistry,
    private readonly config: Config,
    private readonly log: Logger,
    /** Where a room that is not open here lives, or is placed (SingleNode: always here). */
    cluster: Cluster = new SingleNode(),
    metrics?: MediaMetrics,
  ) {
    this.entryDeps = { rooms, config, log, cluster, metrics };
    socket.on("message", (data, isBinary) => {
      if (this.closed) return;
      if (!this.limiter.take()) return this.rateLimited();
      if (isBinary) return this.error("binary-not-supported", "binary frames are not supported; send JSON text");
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
      this.queue = this.queue
        .then(() => (this.closed ? undefined : this.handle(text)))
        .catch((err: unknown) => {
          this.log.error("signaling handler failed", {
            room: this.room?.name,
            participant: this.participant?.id,
            error: (err as Error).stack ?? String(err),
          });
        });
    });
    socket.on("close", (code: number) => this.gone(code));
    socket.on("error", () => this.gone(undefined));
  }

  /** What the room, or the server, tells this participant. */
  send(message: ServerMessage): void {
    if (this.heldUntilJoined) return void this.heldUntilJoined.push(message);
    this.transmit(message);
    // A fatal error from the room (ice-failed, offer-timeout, room-failed) or the server (server-shutdown)
    // ends the session here; the room or server that reported it removes the participant itself.
    if (message.type === "error" && isFatal(message.code)) this.handOver(message.code);
  }

  /** The room ends this participant's session (kicked, room closed). */
  close(reason: string): void {
    this.handOver(byeReasonOf(reason));
  }

  private transmit(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Ends a session whose participant the room (or the server) removes. */
  private handOver(reason: ByeReason): void {
    if (this.closed) return;
    // Forgotten first: the socket's close must not take out a participant who now lives on elsewhere (replaced).
    this.participant = undefined;
    this.room = undefined;
    this.end(reason, CLOSE_NORMAL);
  }

  /** `bye`, then the close frame; false if the session had already ended. */
  private end(reason: ByeReason, closeCode: number): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.transmit({ type: "bye", reason });
    this.socket.close(closeCode, reason);
    return true;
  }

  /** This session's own answer to a message; a fatal one refuses the session and takes the participant out. */
  private error(code: ErrorCode, message: string): void {
    this.transmit({ type: "error", code, message });
    if (isFatal(code) && this.end(code, CLOSE_REFUSED)) void this.leave("refused");
  }

  private rateLimited(): void {
    const now = performance.now();
    if (now - this.lastRateError < RATE_ERROR_INTERVAL_MS) return;
    this.lastRateError = now;
    this.log.warn("signaling rate limit reached", { room: this.room?.name, participant: this.participant?.id });
    this.error(
      "rate-limited",
      `too many messages: at most ${MESSAGES_PER_SECOND} a second (bursts of ${MESSAGE_BURST}); messages over the limit are dropped`,
    );
  }

  private async handle(text: string): Promise<void> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      if (parsed.code === "bad-join") this.log.info("join refused", { reason: "bad-join", problem: parsed.message.slice(0, 200) });
      return this.error(parsed.code, parsed.message);
    }
    const message: ClientMessage = parsed.message;
    if (message.type === "join") return this.join(message);
    const room = this.room;
    const participant = this.participant;
    if (!room || !participant) return this.error("not-joined", "send join first");
    try {
      switch (message.type) {
        case "offer":
          return await this.offer(room, participant, message.sdp);
        case "answer":
          return await capability(room, "serverOffers").answer(participant.id, message.sdp);
        case "candidate": {
          const negotiation = capability(room, "negotiation");
          if (!negotiation.hasOffer(participant.id)) return this.error("bad-message", "send the offer before candidates");
          return await negotiation.candidate(participant.id, message.candidate);
        }
        case "signal":
          return capability(room, "relay").signal(participant.id, message.to, message.data);
        case "mute":
          return room.setMuted(participant.id, { audio: message.audio, video: message.video });
        case "record":
          return await this.record(room, participant, message.action, { format: message.format, voices: message.voices });
        case "display":
          return capability(room, "display").setDisplay(participant.id, message);
        case "screenOffer":
          return await this.shareScreen(room, participant, message.sdp);
        case "screenCandidate":
          return await capability(room, "screenShare").screenCandidate(participant.id, message.candidate);
        case "screenStop":
          return capability(room, "screenShare").stopScreen(participant.id, "the sharer stopped");
        case "leave":
          await this.leave("left");
          return void this.end("left", CLOSE_NORMAL);
      }
    } catch (err) {
      this.refused(err, message.type);
    }
  }

  /** A room or peer error is answered with its own code and message; anything else is unexpected and logged. */
  private refused(err: unknown, context: string): void {
    const code = protocolCodeOf(err);
    if (code) return this.error(code, (err as Error).message);
    this.log.warn(`${context} failed`, {
      room: this.room?.name,
      participant: this.participant?.id,
      error: (err as Error).stack ?? String(err),
    });
    this.error("bad-message", `${context} failed: ${(err as Error).message}`);
  }

  /** Everyone in the room learns the outcome from the `recording` broadcast; only failures answer here. */
  private async record(room: ConferenceRoom, participant: Member, action: "start" | "stop", options: RecordingOptions): Promise<void> {
    // Viewers watch; only the people on camera decide to record (operators use the token-protected API).
    if (this.config.joinTokenSecret === undefined && participant.role !== "sender")
      return this.error("recording-state", "only senders can start or stop a recording; viewers cannot");
    if (!this.mayRecord) return this.error("recording-state", "your join token does not allow recording (it needs record: true)");
    const recording = capability(room, "recording");
    try {
      await (action === "start"
        ? recording.startRecording("participant", { ...options, startedBy: participant.name })
        : recording.stopRecording("participant"));
    } catch (err) {
      if (protocolCodeOf(err)) throw err;
      // What failed goes to the client; where (paths, system detail) stays in the server's log.
      this.log.error("recording request failed", { action, error: (err as Error).stack ?? String(err) });
      this.error("recording-failed", `could not ${action} the recording; the server's log has the cause`);
    }
  }

  /** The room's join rules are enterRoom's; this session answers in signaling messages. */
  private async join(message: JoinMessage): Promise<void> {
    if (this.participant || this.room || this.heldUntilJoined)
      return this.error("already-joined", "this connection has already joined a room");
    // What the room sends this participant while admitting it (its roster, tile, the speaker, a recording)
    // waits here until `joined` has gone out, so the page learns its id and room first.
    this.heldUntilJoined = [];
    const entry = await enterRoom(this.entryDeps, { join: message, channel: this, abandoned: () => this.closed }).catch((err: unknown) => {
      this.heldUntilJoined = undefined;
      throw err;
    });
    if (entry.kind !== "joined") this.heldUntilJoined = undefined;
    if (entry.kind === "abandoned") return;
    if (entry.kind === "elsewhere") return this.redirect(entry.node, entry.room);
    if (entry.kind === "refused") return this.error(entry.code, entry.message);
    const { room, participant } = entry;
    const roomName = room.name;
    this.room = room;
    this.participant = participant;
    this.mayRecord = entry.mayRecord;
    const turn = this.config.turnSecret ? { secret: this.config.turnSecret, ttlSeconds: this.config.turnCredentialTtlS } : undefined;
    this.transmit({
      type: "joined",
      id: participant.id,
      room: roomName,
      role: participant.role,
      mode: room.mode,
      iceServers: iceServersFor(this.config.iceServers, turn, participant.id),
      output: { width: this.config.output.width, height: this.config.output.height, fps: this.config.output.fps },
      participants: room.list().map(participantInfo),
      recording: room.capabilities.recording?.recordingState ?? null,
      ...(room.holdsDroppedParticipants ? { resume: participant.resumeKey } : {}),
    });
    const held = this.heldUntilJoined ?? [];
    this.heldUntilJoined = undefined;
    for (const m of held) this.send(m);
  }

  /** The room lives on another node: the page connects there itself (media goes straight to that node). */
  private redirect(node: NodeRef, roomName: string): void {
    const url = new URL("/ws", node.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.transmit({ type: "redirect", url: url.toString(), room: roomName });
    // Not an ending of the session's participant (there is none yet): no bye, a normal close.
    this.closed = true;
    this.socket.close(CLOSE_NORMAL, "redirect");
  }

  /** A screen's offer that cannot be used is `screen-failed`: the call goes on (a camera's refused offer ends the page's). */
  private async shareScreen(room: ConferenceRoom, participant: Member, sdp: string): Promise<void> {
    const screens = capability(room, "screenShare");
    try {
      this.send({ type: "screenAnswer", sdp: await screens.shareScreen(participant.id, sdp) });
    } catch (err) {
      const code = protocolCodeOf(err);
      if (code === "screen-busy" || code === "unknown-participant") throw err;
      this.log.warn("screen offer refused", {
        room: room.name,
        participant: participant.id,
        code: code ?? "unexpected",
        reason: (err as Error).message,
      });
      this.error("screen-failed", `the screen could not be shared: ${(err as Error).message}`);
    }
  }

  /** A refused offer leaves the participant in the room on a fresh peer: they may offer again. */
  private async offer(room: ConferenceRoom, participant: Member, sdp: string): Promise<void> {
    const negotiation = capability(room, "negotiation");
    if (negotiation.hasOffer(participant.id)) {
      this.log.warn("offer refused", {
        room: room.name,
        participant: participant.id,
        code: "already-negotiated",
        reason: "this connection already sent its offer",
      });
      return this.error("already-negotiated", "this connection already sent its offer");
    }
    try {
      const answer = await negotiation.offer(participant.id, sdp);
      this.send({ type: "answer", sdp: answer });
    } catch (err) {
      this.error(protocolCodeOf(err) ?? "negotiation-failed", (err as Error).message);
    }
  }

  /**
   * The socket closed. A close frame with 1000 (normal) or none at all (1005) is the client's own choice:
   * they leave. Anything else (1006: the connection died without a close frame, 1001: a proxy going away,
   * an error) is a drop: the room may hold their place for a reconnect.
   */
  private gone(code: number | undefined): void {
    this.closed = true;
    const room = this.room;
    const participant = this.participant;
    if (code === CLOSE_NORMAL || code === CLOSE_NO_STATUS || !room || !participant) return void this.leave("connection closed");
    this.room = undefined;
    this.participant = undefined;
    void room.disconnected(participant.id, code === undefined ? "connection error" : `connection lost (code ${code})`);
  }

  private async leave(reason: string): Promise<void> {
    const room = this.room;
    const participant = this.participant;
    this.room = undefined;
    this.participant = undefined;
    if (room && participant) await room.remove(participant.id, reason);
  }
}
