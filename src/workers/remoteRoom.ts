import { randomBytes, randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { EventEmitter } from "node:events";
import type { IceCandidate, RecordingState, Role } from "../../protocol/messages.js";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { checkedLayoutChoice } from "../rooms/layoutChoiceCheck.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { LinkReport } from "../peers/linkMonitor.js";
import type { RecordingInfo, RecordingOrigin } from "../recordings/recordingInfo.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import type {
  DisplayControl,
  LayoutControl,
  LinkStats,
  MixStats,
  PeerNegotiation,
  RecordingControl,
  RecordingOptions,
  RoomCapabilities,
  RoomMediaStats,
  ScreenShareControl,
  ServerOffers,
} from "../rooms/capabilities.js";
import { roomFullMessage, senderCount, type AdmitResult, type ConferenceRoom } from "../rooms/conferenceRoom.js";
import { DETACHED_CHANNEL, type Member, type ParticipantChannel } from "../rooms/participant.js";
import type { DisplayBox } from "../rooms/rungChooser.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";
import type { MediaWorker, RoomMessage } from "./mediaWorker.js";
import { EMPTY_ROOM_STATE, type RoomOp, type RoomOps, type RoomState, type WorkerRoomMode } from "./protocol.js";

/** A recording a dead worker's room was making, to be continued when the room opens again. */
export interface LostRecording {
  readonly id: string;
  readonly by: RecordingOrigin;
  readonly options: RecordingOptions;
}

/** What a proxy needs of its worker (a MediaWorker; a fake in the proxy's tests). */
export type WorkerLink = Pick<MediaWorker, "index" | "attach" | "detach" | "call">;

export interface RemoteRoomOptions {
  readonly name: string;
  /** Names this room to its worker: unique in the server, since a closing room and a new one of its name may overlap. */
  readonly key: string;
  readonly mode: WorkerRoomMode;
  readonly config: Config;
  readonly log: Logger;
  readonly worker: WorkerLink;
  /** The server's store: the worker's recordings in progress are tracked there too (the API lists them live). */
  readonly recordings: RecordingStore;
  /** Where the room's events go (webhooks). */
  readonly events?: RoomEvents;
  /** Started again with the first participant: the recording this room's previous worker died making. */
  readonly continueRecording?: LostRecording;
  /** Its worker died while the room was open (the pool remembers a recording it was making). */
  readonly onLost?: (recording: LostRecording | undefined) => void;
}

/** What a participant is told when their room's worker died: `room-failed`, which the page answers by joining again. */
export const WORKER_LOST_MESSAGE = "the room's media process failed; joining again opens the room afresh";

/**
 * An MCU or SFU room whose media runs in a media worker, as the server's signaling and API see it: the
 * same ConferenceRoom and capabilities, each call a message to the worker. Membership is kept here too (the
 * proxy mints ids and resume keys and decides room-full, so admit() answers at once, as a local room's does);
 * the rest of the getters answer from the state the worker pushes (every 500 ms and before each reply).
 */
export class RemoteRoom
  extends EventEmitter<{ closed: [] }>
  implements ConferenceRoom, PeerNegotiation, ServerOffers, LayoutControl, RecordingControl, MixStats, DisplayControl, LinkStats
{
  readonly name: string;
  readonly mode: WorkerRoomMode;
  readonly capabilities: RoomCapabilities;
  private readonly members = new Map<string, Member>();
  /** Members whose current peer has taken an offer (see hasOffer). */
  private readonly offered = new Set<string>();
  private readonly resumeKeys = new Map<string, string>();
  /** Each socket the worker's room talks to, by its number (a participant's resume gets a new one). */
  private readonly channels = new Map<number, ParticipantChannel>();
  private readonly channelOf = new Map<string, number>();
  private nextChannel = 1;
  private state: RoomState = EMPTY_ROOM_STATE;
  private linkMap = new Map<string, LinkReport>();
  private closing = false;
  private finished = false;
  /** Who started the recording in progress through this proxy (AUTO_RECORD's starts in the worker: "auto"). */
  private recordingOrigin: { id?: string; by: RecordingOrigin; options: RecordingOptions } | undefined;
  private trackedRecording: RecordingInfo | undefined;
  private readonly sink = (message: RoomMessage) => this.received(message);
  private readonly worker: WorkerLink;
  private readonly log: Logger;
  private readonly config: Config;
  private continueRecording: LostRecording | undefined;

  constructor(private readonly options: RemoteRoomOptions) {
    super();
    this.name = options.name;
    this.mode = options.mode;
    this.worker = options.worker;
    this.log = options.log;
    this.config = options.config;
    this.continueRecording = options.continueRecording;
    this.worker.attach(this.options.key, this.sink);
    const screenShare = this.screenShareControl();
    this.capabilities =
      this.mode === "mcu"
        ? { negotiation: this, layout: this, recording: this, mix: this, display: this, links: this, screenShare }
        : { negotiation: this, serverOffers: this, links: this, screenShare };
    this.call("create", { name: this.name, mode: this.mode }).catch((err: Error) =>
      this.log.error("room not created in its worker", { error: err.message }),
    );
  }

  get isClosing(): boolean {
    return this.closing;
  }

  get holdsDroppedParticipants(): boolean {
    return this.config.reconnectGraceMs > 0;
  }

  /** The media worker the room runs in. */
  get workerIndex(): number {
    return this.worker.index;
  }

  list(): Member[] {
    return [...this.members.values()];
  }

  admit(name: string, role: Role, channel: ParticipantChannel, identity?: string): AdmitResult {
    if (role === "sender" && senderCount(this.members.values()) >= this.config.maxSenders)
      return { ok: false, code: "room-full", message: roomFullMessage(this.name, this.config.maxSenders) };
    const id = randomUUID().slice(0, 8);
    const member: Member = {
      id,
      identity: identity ?? id,
      name,
      role,
      joinedAt: new Date(),
      channel,
      // 256 random bits, as a local room's (BaseRoom.newMember).
      resumeKey: randomBytes(32).toString("base64url"),
      disconnectedAt: undefined,
      audioMuted: false,
      videoMuted: false,
    };
    this.members.set(id, member);
    this.resumeKeys.set(member.resumeKey, id);
    const args = { member: id, resumeKey: member.resumeKey, name, role, identity: member.identity };
    const renegotiates = channel.renegotiates ?? true;
    this.call("admit", { ...args, channel: this.openChannel(id, channel), renegotiates }).catch((err: Error) => {
      // The worker's room closed on its own as this join crossed (its last participant timed out): join again.
      this.log.warn("admission failed in the media worker", { participant: id, error: err.message });
      channel.send({ type: "error", code: "room-failed", message: WORKER_LOST_MESSAGE });
      this.forget(id);
    });
    this.continueLostRecording();
    return { ok: true, participant: member };
  }

  resume(key: string, channel: ParticipantChannel): AdmitResult | undefined {
    if (this.closing) return undefined;
    const id = this.resumeKeys.get(key);
    const member = id === undefined ? undefined : this.members.get(id);
    if (!member) return undefined;
    const previous = member.channel;
    member.channel = channel;
    member.disconnectedAt = undefined;
    this.send("resume", { resumeKey: key, channel: this.openChannel(member.id, channel), renegotiates: channel.renegotiates ?? true });
    previous.close("replaced");
    this.offered.delete(member.id);
    return { ok: true, participant: member };
  }

  async disconnected(id: string, reason: string): Promise<void> {
    const member = this.members.get(id);
    if (!member) return;
    if (!this.holdsDroppedParticipants) return this.remove(id, reason);
    member.channel = DETACHED_CHANNEL;
    member.disconnectedAt ??= performance.now();
    this.closeChannelOf(id);
    await this.call("disconnected", { member: id, reason }).catch(() => undefined);
  }

  async remove(id: string, reason: string): Promise<void> {
    if (!this.members.has(id)) return;
    // As a local room does, the room closes the moment its last participant goes: a join meanwhile opens a fresh one.
    if (this.members.size === 1) this.closing = true;
    await this.call("remove", { member: id, reason }).catch(() => this.forget(id));
  }

  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    const member = this.members.get(id);
    if (!member) return;
    if (mute.audio !== undefined) member.audioMuted = mute.audio;
    if (mute.video !== undefined) member.videoMuted = mute.video;
    this.send("setMuted", { member: id, mute });
  }

  async close(reason = "room closed"): Promise<void> {
    if (this.finished) return;
    const closed = new Promise<void>((resolve) => this.once("closed", resolve));
    this.closing = true;
    await this.call("close", { reason }).catch(() => this.finish());
    await closed;
  }

  /**
   * The session asks before an offer or a candidate, and must be answered at once: the worker's peer owns the
   * fact, and this is its near copy, set as an offer goes out and cleared where the worker's room replaces
   * the peer (a refused offer, a resumed participant) or the participant goes.
   */
  hasOffer(id: string): boolean {
    return this.offered.has(id);
  }

  async offer(id: string, sdp: string): Promise<string> {
    this.offered.add(id);
    try {
      return await this.call("offer", { member: id, sdp });
    } catch (err) {
      this.offered.delete(id);
      throw err;
    }
  }

  candidate(id: string, candidate: IceCandidate | null): Promise<void> {
    return this.call("candidate", { member: id, candidate });
  }

  answer(id: string, sdp: string): Promise<void> {
    return this.call("answer", { member: id, sdp });
  }

  get layoutChoice(): LayoutChoice {
    return this.state.layout ?? { layout: "grid" };
  }

  get activeSpeaker(): string | undefined {
    return this.state.activeSpeaker;
  }

  /** Checked here as the room checks it (its errors are synchronous); the worker's room then applies it. */
  setLayout(choice: LayoutChoice): void {
    const layout = checkedLayoutChoice(choice, this.members, this.name);
    this.state = { ...this.state, layout };
    this.send("setLayout", { choice: layout });
  }

  setDisplay(id: string, display: DisplayBox): void {
    this.send("setDisplay", { member: id, display });
  }

  get mediaStats(): RoomMediaStats {
    return this.state.mediaStats ?? EMPTY_MEDIA_STATS;
  }

  get activeRecording(): RecordingInfo | undefined {
    return this.state.recording;
  }

  get recordingState(): RecordingState {
    return this.state.recording ? (this.state.recordingState ?? null) : null;
  }

  async startRecording(by: RecordingOrigin, options: RecordingOptions = {}): Promise<RecordingInfo> {
    const info = await this.call("startRecording", { by, options });
    this.recordingOrigin = { id: info.id, by, options };
    return info;
  }

  stopRecording(by: RecordingOrigin): Promise<RecordingInfo> {
    return this.call("stopRecording", { by });
  }

  linkOf(id: string): LinkReport | undefined {
    return this.linkMap.get(id);
  }

  private screenShareControl(): ScreenShareControl {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const room = this;
    return {
      shareScreen: (id, sdp) => this.call("shareScreen", { member: id, sdp }),
      screenCandidate: (id, candidate) => this.call("screenCandidate", { member: id, candidate }),
      stopScreen: (id, reason) => this.send("stopScreen", { member: id, reason }),
      get screenSharer() {
        return room.state.screenSharer;
      },
    };
  }

  private call<K extends RoomOp>(op: K, args: RoomOps[K]["args"]): Promise<RoomOps[K]["result"]> {
    return this.worker.call(this.options.key, op, args);
  }

  /** A call nobody waits on: a failure is logged (the worker's room has told the participant, if it concerns them). */
  private send<K extends RoomOp>(op: K, args: RoomOps[K]["args"]): void {
    this.call(op, args).catch((err: Error) => this.log.warn("media worker call failed", { op, error: err.message }));
  }

  private openChannel(member: string, channel: ParticipantChannel): number {
    this.closeChannelOf(member);
    const n = this.nextChannel++;
    this.channels.set(n, channel);
    this.channelOf.set(member, n);
    return n;
  }

  private closeChannelOf(member: string): void {
    const n = this.channelOf.get(member);
    if (n !== undefined) this.channels.delete(n);
    this.channelOf.delete(member);
  }

  private received(message: RoomMessage): void {
    switch (message.kind) {
      case "send":
        return this.channels.get(message.channel)?.send(message.message);
      case "closeChannel": {
        const channel = this.channels.get(message.channel);
        this.channels.delete(message.channel);
        return channel?.close(message.reason);
      }
      case "event":
        if (message.event.type === "participant.left") this.forget(message.event.participant.id);
        return this.options.events?.send(this.name, message.event);
      case "state":
        return this.stateReceived(message.state);
      case "closed":
        return this.finish();
    }
  }

  private stateReceived(state: RoomState): void {
    this.state = state;
    this.linkMap = new Map(state.links);
    if (state.closing) this.closing = true;
    this.trackRecording(state.recording);
  }

  /** The worker's recording in progress, as the server's store lists it (live, and not deletable). */
  private trackRecording(recording: RecordingInfo | undefined): void {
    const store = this.options.recordings;
    const tracked = this.trackedRecording;
    if (tracked && tracked.id !== recording?.id) store.untrack(tracked.id, finalBytes(store, tracked));
    if (recording && tracked?.id !== recording.id) store.track(recording.id, () => this.state.recording ?? recording);
    if (recording && this.recordingOrigin?.id !== recording.id)
      this.recordingOrigin = { id: recording.id, by: "auto", options: { format: recording.format } };
    this.trackedRecording = recording;
  }

  private forget(id: string): void {
    const member = this.members.get(id);
    if (!member) return;
    this.members.delete(id);
    this.offered.delete(id);
    this.resumeKeys.delete(member.resumeKey);
    this.closeChannelOf(id);
    // The worker's room closes with its last participant.
    if (this.members.size === 0) this.closing = true;
  }

  /** The first participant of a room whose previous worker died recording: the recording goes on in a new file. */
  private continueLostRecording(): void {
    const lost = this.continueRecording;
    if (!lost) return;
    this.continueRecording = undefined;
    this.startRecording(lost.by, { ...lost.options, continues: lost.id }).then(
      (info) => this.log.info("recording continued after the media worker died", { recording: info.id, continues: lost.id }),
      (err: Error) => this.log.error("recording not continued after the media worker died", { continues: lost.id, error: err.message }),
    );
  }

  /**
   * The worker died: each participant is told `room-failed` (the page joins again, landing on a live worker),
   * the recording stays playable up to the death (crash-safe files), and the room is gone from the registry.
   */
  workerDied(): void {
    if (this.finished) return;
    const recording = this.state.recording;
    const origin = this.recordingOrigin;
    const lost =
      recording && origin ? { id: recording.id, by: origin.by, options: { ...origin.options, continues: undefined } } : undefined;
    this.log.error("room lost with its media worker", {
      worker: this.worker.index,
      participants: this.members.size,
      recording: recording?.id,
    });
    for (const member of this.members.values()) member.channel.send({ type: "error", code: "room-failed", message: WORKER_LOST_MESSAGE });
    this.options.onLost?.(lost);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.trackRecording(undefined);
    this.worker.detach(this.options.key, this.sink);
    for (const channel of this.channels.values()) channel.close("room-failed");
    this.channels.clear();
    this.members.clear();
    this.offered.clear();
    this.resumeKeys.clear();
    this.emit("closed");
  }
}

/** A stopped recording's size: its file's, which the worker has finished writing (the last pushed state is up to 500 ms old). */
function finalBytes(store: RecordingStore, info: RecordingInfo): number {
  try {
    return statSync(store.mediaPath(info.id, info.format ?? "webm")).size;
  } catch {
    return info.bytes;
  }
}

const EMPTY_MEDIA_STATS: RoomMediaStats = {
  video: {
    framesComposed: 0,
    framesSent: 0,
    framesDropped: 0,
    keyframesSent: 0,
    keyframeRequests: 0,
    encoderRestarts: 0,
    outputCodecs: [],
    outputStreams: [],
    decoderRestarts: 0,
    decodeLagMaxMs: 0,
    undecodableFrames: 0,
  },
  audio: { inputsWithLevels: 0, inputsDecoded: 0, inputsMixed: 0, encodings: 0, packetsDecoded: 0, packetsSkipped: 0 },
  ffmpegPids: [],
};
