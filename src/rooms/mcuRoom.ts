import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { resolveVideoDecoder } from "../../mixer/video/participantDecoder.js";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { checkedLayoutChoice } from "./layoutChoiceCheck.js";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { RtpPacket } from "werift";
import type { RecordingState, Role } from "../../protocol/messages.js";
import type {
  DisplayControl,
  LayoutControl,
  MixStats,
  RecordingControl,
  RecordingOptions,
  RoomCapabilities,
  RoomMediaStats,
} from "./capabilities.js";
import { PeerRoom } from "./peerRoom.js";
import type { AdmitResult, ConferenceRoom } from "./conferenceRoom.js";
import { RateLimitedError, RecordingStateError } from "./errors.js";
import type { RecordingInfo, RecordingOrigin } from "../recordings/recordingInfo.js";
import { RoomRecording } from "../recordings/roomRecording.js";
import type { TimelineEvent } from "../recordings/timeline.js";
import type { Participant, ParticipantChannel } from "./participant.js";
import type { RoomContext } from "./roomContext.js";
import type { MixReceivingPeer, RoomMixing } from "./roomMedia.js";
import { tileBitrate } from "./tileBitrate.js";
import { MixReceiver } from "./mixReceiver.js";
import { RoomScreenShare } from "./screenShare.js";
import { NO_FEEDBACK, type ProbeResult } from "../peers/linkProbe.js";
import type { DisplayBox } from "./rungChooser.js";
import type { MixStream } from "../../mixer/video/renditionLadder.js";
import type { LinkEstimate } from "../peers/linkEstimate.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** Participants may start a recording in a room at most this often (operators and AUTO_RECORD are not limited). */
export const RECORDING_START_INTERVAL_MS = 10_000;

type McuParticipant = Participant<MixReceivingPeer> & {
  /** Which rendition of the mix this participant is sent, from its link and its display. */
  readonly mix: MixReceiver;
};

/**
 * An MCU room: who is in it, and the wiring between their peer connections and the room's mixer.
 * Created with the first participant, closed (mixer and all) when the last one leaves; `closed` fires
 * once every ffmpeg child is gone.
 */
export class McuRoom extends PeerRoom<McuParticipant> implements ConferenceRoom, LayoutControl, RecordingControl, MixStats, DisplayControl {
  /** Participants who have been sent their first mixed frame (the join-to-first-frame histogram). */
  private readonly firstFrameSent = new WeakSet<McuParticipant>();
  readonly mode = "mcu";
  private readonly mixer: RoomMixing;
  /** The room's one screen share (a second peer connection of the sharer's). */
  private readonly screens: RoomScreenShare;
  readonly capabilities: RoomCapabilities;
  private recording: RoomRecording | undefined;
  private recordingStartedBy: RecordingOrigin | undefined;
  private startedByName: string | undefined;
  /** When participants last started a recording here (performance.now), for the start-rate limit. */
  private lastParticipantStart = -Infinity;

  constructor(context: RoomContext) {
    super(context);
    const { name, config } = context;
    this.mixer = context.media.mixer({
      label: `room:${name}`,
      width: config.output.width,
      height: config.output.height,
      fps: config.output.fps,
      videoBitrate: config.output.videoBitrate,
      audioBitrate: config.output.audioBitrate,
      keyframeIntervalMs: config.keyframeIntervalMs,
      staleAfterMs: config.staleVideoMs,
      labelFont: { families: config.labelFamilies ?? resolveLabelFont(config.labelFont).families },
      context: {
        log: context.log,
        processes: context.processes,
        faults: this.faults,
        ffmpegPath: config.ffmpegPath ?? resolveFfmpegPath(),
        videoDecoder: config.videoDecoder ?? resolveVideoDecoder(),
      },
    });
    this.screens = this.createScreenShare(context);
    this.capabilities = {
      negotiation: this,
      layout: this,
      recording: this,
      mix: this,
      display: this,
      links: this,
      screenShare: this.screens,
    };
    this.mixer.on("videoRtp", (bytes, stream, keyframeStart) => {
      // Parsed once here; each peer gets a header copy of its own (werift would re-parse bytes per peer).
      const packet = RtpPacket.deSerialize(bytes);
      for (const p of this.members.values()) {
        if (p.peer.mixCodec !== stream.codec || !p.peer.receivesMix) continue;
        const routed = p.mix.route(packet, stream, keyframeStart);
        if (!routed) continue;
        p.peer.sendVideo(routed.packet);
        if (routed.switched) this.mixSwitched(p);
        // The last packet of a frame over a connected peer: the first frame this participant can see.
        if (packet.header.marker && !this.firstFrameSent.has(p) && p.peer.isConnected) {
          this.firstFrameSent.add(p);
          this.context.metrics?.firstMixedFrame((Date.now() - p.joinedAt.getTime()) / 1000);
        }
      }
    });
    this.mixer.on("keyframeRequest", (id) => {
      if (!this.screens.requestKeyframe(id)) this.members.get(id)?.peer.requestKeyframe();
    });
    // A joiner's session holds these until its `joined` is out (SignalingSession.join).
    this.mixer.on(
      "layout",
      this.faults.wrap("tile sizes", () => this.sendTileSizes()),
    );
    this.mixer.on("activeSpeaker", (id) => {
      this.log.info("active speaker", { participant: id ?? null });
      this.noteForRecording({ kind: "speaker", participant: id ?? null });
      for (const p of this.members.values()) p.channel.send({ type: "speaker", id: id ?? null });
    });
  }

  /** The room's one screen share: drawn by the mixer, heard by everyone but the sharer, noted in the recording. */
  private createScreenShare(context: RoomContext): RoomScreenShare {
    return new RoomScreenShare({
      roomName: context.name,
      policy: context.config.screenSharePolicy ?? "refuse",
      connectTimeoutMs: context.config.connectTimeoutMs,
      createPeer: () => this.createPeer(),
      sink: {
        added: (tileId, name, owner) => this.mixer.addScreen(tileId, name, owner),
        removed: (tileId) => this.mixer.removeScreen(tileId),
        // Everyone but the sharer hears the screen's sound (the mixer leaves it out of the sharer's mix-minus).
        audio: (tileId, packet) => this.mixer.pushAudioRtp(tileId, packet),
        video: (tileId, packet, codec, codecChanged) => {
          if (codecChanged) this.mixer.setVideoCodec(tileId, codec);
          this.mixer.pushVideoRtp(tileId, packet);
        },
      },
      member: (id) => this.members.get(id),
      broadcast: (message) => {
        for (const p of this.members.values()) p.channel.send(message);
        if (message.type === "screen")
          this.noteForRecording({
            kind: "screen",
            participant: message.id,
            ...(message.reason !== undefined ? { reason: message.reason } : {}),
          });
      },
      log: this.log,
      faults: this.faults,
    });
  }

  /**
   * The mixer keeps the layout choice, and the room reads it back: the mixer redraws on what the room does not
   * drive (a new speaker, a screen) and computeLayout alone decides what a choice falls back to (a departed
   * pin's `speaker`), so a copy here could only go stale. The room checks a choice (who may be pinned) first.
   */
  get layoutChoice(): LayoutChoice {
    return this.mixer.layoutChoice;
  }

  /** Who the mixer hears speaking now (highlighted in every layout, large in `speaker`). */
  get activeSpeaker(): string | undefined {
    return this.mixer.activeSpeaker;
  }

  setLayout(choice: LayoutChoice): void {
    const next = checkedLayoutChoice(choice, this.members, this.name);
    this.mixer.setLayout(next);
    this.log.info("layout changed", {
      layout: next.layout,
      pin: next.pin ?? null,
      ...(next.definition ? { regions: next.definition.regions.length } : {}),
    });
  }

  /** Read-only figures for /metrics: the mixer's counters and the room's live ffmpeg children. */
  get mediaStats(): RoomMediaStats {
    return { video: this.mixer.videoStats, audio: this.mixer.audioStats, ffmpegPids: this.mixer.ffmpegPids };
  }

  get activeRecording(): RecordingInfo | undefined {
    return this.recording?.info();
  }

  get recordingState(): RecordingState {
    const info = this.recording?.info();
    if (!info) return null;
    const startedBy = this.startedByName;
    return { id: info.id, startedAt: info.startedAt, ...(startedBy !== undefined ? { startedBy } : {}) };
  }

  async startRecording(by: RecordingOrigin, options: RecordingOptions = {}): Promise<RecordingInfo> {
    const { startedBy, format = this.config.recordingFormat, voices = this.config.recordingVoices } = options;
    if (this.closing) throw new RecordingStateError(`room "${this.name}" is closing`);
    if (this.recording) throw new RecordingStateError(`room "${this.name}" is already being recorded (recording ${this.recording.id})`);
    if (by === "participant") {
      // Each start makes two files: a page (or a script behind one) must not be able to make thousands.
      const wait = this.lastParticipantStart + RECORDING_START_INTERVAL_MS - performance.now();
      if (wait > 0)
        throw new RateLimitedError(
          `a recording was started here less than ${RECORDING_START_INTERVAL_MS / 1000} s ago; try again in ${Math.ceil(wait / 1000)} s`,
        );
      this.lastParticipantStart = performance.now();
    }
    const recording = new RoomRecording({
      room: this.name,
      store: this.context.recordings,
      mixer: this.mixer,
      format,
      voices,
      continues: options.continues,
      events: this.context.events,
      output: { width: this.config.output.width, height: this.config.output.height, fps: this.config.output.fps },
      roster: () => this.list(),
      log: this.log,
      onFailed: () => {
        if (this.recording !== recording) return;
        this.recording = undefined;
        this.broadcastRecording();
      },
    });
    this.recording = recording;
    // A share already running is in the picture from time 0: the timeline says whose.
    const sharer = this.screens.screenSharer;
    if (sharer !== undefined) recording.note({ kind: "screen", participant: sharer });
    this.recordingStartedBy = by;
    this.startedByName = startedBy;
    this.broadcastRecording();
    await recording.ready;
    return recording.info();
  }

  async stopRecording(by: RecordingOrigin): Promise<RecordingInfo> {
    if (this.recording && this.recordingStartedBy === "api" && by !== "api") {
      throw new RecordingStateError("this recording was started through the control API; only the control API can stop it");
    }
    return this.finishRecording("stopped");
  }

  /** For the timeline of the recording in progress, if any (speaker changes come from the mixer). */
  private noteForRecording(event: TimelineEvent): void {
    this.recording?.note(event);
  }

  admit(name: string, role: Role, channel: ParticipantChannel, identity?: string): AdmitResult<McuParticipant> {
    const refusal = this.refuseIfFull(role);
    if (refusal) return refusal;
    const participant: McuParticipant = {
      ...this.newMember(name, role, channel, identity),
      peer: this.createPeer(),
      videoCodecSeen: undefined,
      mix: new MixReceiver(this.mixer.ladder),
    };
    this.attachNewParticipant(participant);
    // A member first, so the tile sizes its tile causes reach it too. What the room sends it from here on
    // (roster, tile, speaker, recording) its session holds until `joined` is out: no ordering by timer.
    const admitted = this.enrol(participant);
    // The member's mutes are the mixer's to read: one record, the roster's and the picture's.
    if (role === "sender") this.mixer.addSender(participant.id, name, participant);
    this.mixer.addAudioListener(participant.id, role === "sender" ? participant.id : undefined, (packet) =>
      participant.peer.sendAudio(packet),
    );
    const speaker = this.mixer.activeSpeaker;
    if (speaker !== undefined) participant.channel.send({ type: "speaker", id: speaker });
    const sharer = this.screens.screenSharer;
    if (sharer !== undefined) participant.channel.send({ type: "screen", id: sharer });
    this.noteForRecording({ kind: "join", participant: { id: participant.id, name, role } });
    if (this.config.autoRecord && !this.recording && this.members.size === 1) {
      this.startRecording("auto").catch((err: Error) => this.log.error("automatic recording did not start", { error: err.message }));
    }
    return admitted;
  }

  /** Recorded on the member alone: the mixer reads that record (addSender), so there is no one else to tell. */
  setMuted(id: string, mute: { audio?: boolean; video?: boolean }): void {
    const p = this.recordMute(id, mute);
    if (p) this.noteForRecording({ kind: "mute", participant: id, ...mute });
  }

  async remove(id: string, reason: string): Promise<void> {
    const p = this.forget(id, reason);
    if (!p) return;
    this.log.info("participant left", { participant: id, reason });
    this.noteForRecording({ kind: "leave", participant: { id, name: p.name }, reason });
    this.mixer.removeAudioListener(id);
    this.screens.stopScreen(id, "the sharer left");
    const pinned = this.mixer.layoutChoice.pin === id;
    // The mixer re-lays at once (its choice then stands as computeLayout makes it: a departed pin's `speaker`).
    const removal = p.role === "sender" ? this.mixer.removeSender(id) : Promise.resolve();
    if (pinned) this.log.info(`pinned participant left: layout falls back to ${this.mixer.layoutChoice.layout}`, { participant: id });
    if (this.members.size === 0) {
      // Closing starts before anything is awaited, so a join arriving meanwhile gets a fresh room rather
      // than this one, which would say bye to it a moment later.
      await Promise.all([this.close(), this.releasePeer(p), removal]);
      return;
    }
    this.broadcastRoster();
    this.updateReceiverStreams();
    await Promise.all([this.releasePeer(p), removal]);
  }

  /**
   * The tile stays (drawn as the name card once the last picture is older than STALE_VIDEO_MS, as for a
   * stalled camera); the timeline notes the gap.
   */
  protected override async onDisconnected(p: McuParticipant, reason: string): Promise<void> {
    this.noteForRecording({ kind: "disconnect", participant: { id: p.id, name: p.name }, reason });
    this.screens.stopScreen(p.id, "the sharer's connection dropped");
    await super.onDisconnected(p, reason);
    if (!this.closing) this.updateReceiverStreams();
  }

  /** The same tile, fed from the page's fresh peer; the sender is told its tile size again. */
  protected override onResumed(p: McuParticipant, gapMs: number): void {
    super.onResumed(p, gapMs);
    this.noteForRecording({ kind: "reconnect", participant: { id: p.id, name: p.name }, afterMs: Math.round(gapMs) });
    // The new session holds this until its `joined` is out.
    const rect = this.mixer.layout.get(p.id);
    if (rect) p.channel.send({ type: "tile", width: rect.width, height: rect.height, maxBitrate: tileBitrate(rect.width, rect.height) });
  }

  /**
   * The recording ends first: writing its last cluster and stop line is quick, and must not wait on peer
   * connections whose closing may hang past the shutdown grace period.
   */
  protected override finishBeforePeers(reason: string): void {
    if (this.recording) this.finishRecording(reason);
  }

  protected override async releaseMedia(): Promise<void> {
    await this.screens.close();
    await this.mixer.close();
  }

  private finishRecording(reason: string): RecordingInfo {
    const recording = this.recording;
    if (!recording) throw new RecordingStateError(`room "${this.name}" is not being recorded`);
    this.recording = undefined;
    const info = recording.stop(reason);
    this.broadcastRecording();
    return info;
  }

  private broadcastRecording(): void {
    const recording = this.recordingState;
    for (const p of this.members.values()) p.channel.send({ type: "recording", recording });
  }

  protected createPeer(): MixReceivingPeer {
    return this.context.media.mcuPeer(this.config);
  }

  protected wirePeer(p: McuParticipant): void {
    const { peer, id } = p;
    // The mix starts with the room's first participant, not their connection: opening the encoder and its
    // first frames then happen during ICE and DTLS, and a receiver's first picture is just the keyframe
    // asked for when it connects (werift sends nothing before DTLS is up). A lone viewer gets name cards.
    this.mixer.start();
    peer.on(
      "connected",
      this.faults.wrap("receiver connected", () => {
        p.mix.restart(peer.mixCodec);
        this.updateReceiverStreams();
        this.mixer.start();
        this.requestMixKeyframe(p);
      }),
    );
    peer.on(
      "pictureLoss",
      this.faults.wrap("receiver picture loss", () => this.requestMixKeyframe(p)),
    );
    peer.on(
      "link",
      this.faults.wrap("receiver link", (link: LinkEstimate) => {
        // The audio is protected first: the Opus this receiver hears carries FEC sized to its link's loss.
        this.mixer.setListenerLoss(id, link.lossFraction);
        this.retarget(p, p.mix.setEstimate(link.availableBps, performance.now()));
        this.probeLink(p);
      }),
    );
    if (p.role !== "sender") return;
    peer.on(
      "videoRtp",
      this.faults.wrap("participant video in", (packet: RtpPacket, codec: VideoCodec) => {
        if (p.videoCodecSeen !== codec) {
          p.videoCodecSeen = codec;
          this.mixer.setVideoCodec(id, codec);
        }
        this.mixer.pushVideoRtp(id, packet);
      }),
    );
    peer.on(
      "audioRtp",
      this.faults.wrap("participant audio in", (packet: RtpPacket, level: number | undefined) =>
        this.mixer.pushAudioRtp(id, packet, level),
      ),
    );
  }

  /** Before a receiver moves up a rung, its link is probed at that rung's rate; it moves only if the link carried it. */
  private probeLink(p: McuParticipant): void {
    const request = p.mix.probeWanted(performance.now());
    if (!request) return;
    const pad = (bytes: number) => {
      const packet = p.mix.padding(bytes);
      if (!packet) return 0;
      p.peer.sendVideo(packet);
      return packet.payload.length;
    };
    const running = p.peer.probeLink?.(request.targetBps, request.neededBps, pad) ?? Promise.resolve(undefined);
    void running.then(
      this.faults.wrap("receiver probe", (result: ProbeResult | undefined) => {
        if (this.closing || this.members.get(p.id) !== p) return;
        const outcome =
          result === undefined ? "unavailable" : result.ok ? "passed" : result.reason === NO_FEEDBACK ? "inconclusive" : "failed";
        this.log.info("receiver's link probed", {
          participant: p.id,
          targetBps: request.targetBps,
          outcome,
          reason: result?.reason,
          deliveredBps: result?.deliveredBps && Math.round(result.deliveredBps),
          sentBps: result && Math.round(result.sentBps),
        });
        this.retarget(p, p.mix.probeDone(outcome, result?.deliveredBps, performance.now()));
      }),
    );
  }

  /** The page's box for the mix (the `display` message): the largest rung it may be sent, and its shape. */
  setDisplay(id: string, display: DisplayBox): void {
    const p = this.members.get(id);
    if (!p) return;
    this.retarget(p, p.mix.setDisplay(display, performance.now()));
  }

  /** The streams a receiver needs changed (a new rung, or paused): encoders follow, and the new one starts with a keyframe. */
  private retarget(p: McuParticipant, changed: boolean): void {
    if (!changed || !p.peer.isConnected) return;
    this.updateReceiverStreams();
    this.requestMixKeyframe(p);
    this.reportMix(p);
  }

  /** A receiver moved to its new stream: the one it left may have no receiver left. */
  private mixSwitched(p: McuParticipant): void {
    setImmediate(
      this.faults.wrap("mix switched", () => {
        if (this.closing) return;
        this.updateReceiverStreams();
        this.reportMix(p);
      }),
    );
  }

  private reportMix(p: McuParticipant): void {
    const state = p.mix.takeStateChange();
    if (!state) return;
    this.log.info("receiver's mix", { participant: p.id, ...state });
    p.channel.send({ type: "mix", ...state });
  }

  private requestMixKeyframe(p: McuParticipant): void {
    const stream = p.mix.keyframeStream;
    if (stream) this.mixer.requestKeyframe(stream);
  }

  /** One encoder per stream (rendition and codec) a connected receiver is on or moving to; a stream nobody takes any more stops. */
  private updateReceiverStreams(): void {
    const streams: MixStream[] = [];
    // A WHIP publisher's answer sends it no mix: it takes no stream.
    for (const p of this.members.values()) if (p.peer.isConnected && p.peer.receivesMix) streams.push(...p.mix.streams);
    this.mixer.setReceiverStreams(streams);
  }

  private sendTileSizes(): void {
    for (const [id, rect] of this.mixer.layout) {
      const hint = { type: "tile", width: rect.width, height: rect.height, maxBitrate: tileBitrate(rect.width, rect.height) } as const;
      // The screen's tile is its sharer's to fill: the page sizes the shared track for it.
      if (id === this.screens.tileId && this.screens.screenSharer !== undefined)
        this.members.get(this.screens.screenSharer)?.channel.send({ ...hint, source: "screen" });
      else this.members.get(id)?.channel.send(hint);
    }
  }
}
