import { renditionLadder, type MixStream } from "../../mixer/video/renditionLadder.js";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { EventEmitter } from "node:events";
import type { RtpPacket } from "werift";
import type { RoomMixerEvents } from "../../mixer/roomMixer.js";
import type { MixRecording } from "../../mixer/recording/mixRecording.js";
import type { MuteState } from "../../mixer/muteState.js";
import type { Rect } from "../../mixer/layout/gridLayout.js";
import { computeLayout } from "../../mixer/layout/computeLayout.js";
import { NegotiationError, type PeerEvents } from "../../src/peers/peerConnection.js";
import type { ForwardedStream } from "../../src/peers/sfuPeer.js";
import type { ParticipantChannel } from "../../src/rooms/participant.js";
import type { ForwardingPeer, MixReceivingPeer, RoomMediaFactory, RoomMixing } from "../../src/rooms/roomMedia.js";
import type { ServerMessage } from "../../protocol/messages.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** An offer the fake peers refuse, as werift refuses one it cannot use. */
export const UNUSABLE_OFFER = "unusable offer";

/** A peer connection without a network: the test decides when it connects or fails. */
export class FakePeer extends EventEmitter<PeerEvents> implements MixReceivingPeer, ForwardingPeer {
  isConnected = false;
  closed = false;
  keyframeRequests = 0;
  mixCodec: VideoCodec = "vp8";
  receivesMix = true;
  receivesVp8: boolean | undefined = true;
  /** What an SFU room gave this peer to ask a source for a keyframe (as a receiver's PLI does). */
  askKeyframeOf: ((sourceId: string) => void) | undefined;
  /** What an SFU room gave this peer to ask, at its answer, whether H264 goes first. */
  preferH264: (() => boolean) | undefined;
  readonly candidates: unknown[] = [];
  readonly sent = { video: 0, audio: 0 };
  private readonly forwards = new Map<string, ForwardedStream>();

  /** As a real peer's: set as the offer is taken, refused or not (the room replaces a refused offer's peer). */
  hasOffer = false;
  async answer(offerSdp: string): Promise<string> {
    this.hasOffer = true;
    if (offerSdp === UNUSABLE_OFFER) throw new NegotiationError("no-usable-codec", "the offer has no video section");
    return "v=0 fake answer";
  }
  async addRemoteCandidate(candidate: unknown): Promise<void> {
    this.candidates.push(candidate);
  }
  requestKeyframe(): void {
    this.keyframeRequests++;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.removeAllListeners();
  }
  /** Sequence number and timestamp of each video packet sent, in order. */
  readonly videoSent: { seq: number; ts: number }[] = [];
  sendVideo(packet: RtpPacket): void {
    this.sent.video++;
    this.videoSent.push({ seq: packet.header.sequenceNumber, ts: packet.header.timestamp });
  }
  sendAudio(): void {
    this.sent.audio++;
  }
  addForward(sourceId: string): ForwardedStream {
    const forward = { audio: {}, video: {}, transceivers: [] } as unknown as ForwardedStream;
    this.forwards.set(sourceId, forward);
    return forward;
  }
  forward(sourceId: string): ForwardedStream | undefined {
    return this.forwards.get(sourceId);
  }
  readonly restartedSources: string[] = [];
  sourceRestarted(sourceId: string, kind: "audio" | "video"): void {
    this.restartedSources.push(`${sourceId}:${kind}`);
  }
  labelForwardedVideo(sourceId: string): boolean {
    return this.forwards.has(sourceId);
  }
  removeForward(sourceId: string): void {
    this.forwards.delete(sourceId);
  }
  async createOffer(): Promise<string> {
    return "v=0 fake offer";
  }
  async applyAnswer(): Promise<void> {}

  /** ICE and DTLS are done. */
  connect(): void {
    this.isConnected = true;
    this.emit("connected");
  }
}

/** A mixer without ffmpeg: it records what the room asked of it. */
export class FakeMixer extends EventEmitter<RoomMixerEvents> implements RoomMixing {
  readonly senders = new Map<string, string>();
  readonly audioListeners = new Map<string, string | undefined>();
  readonly videoPackets: string[] = [];
  readonly layouts: LayoutChoice[] = [];
  layout: ReadonlyMap<string, Rect> = new Map();
  activeSpeaker: string | undefined;
  readonly videoStats = {
    framesComposed: 0,
    framesSent: 0,
    framesDropped: 0,
    keyframesSent: 0,
    keyframeRequests: 0,
    encoderRestarts: 0,
    decoderRestarts: 0,
    outputCodecs: [],
    outputStreams: [],
    decodeLagMaxMs: 0,
    undecodableFrames: 0,
  };
  readonly ladder = renditionLadder({ width: 1280, height: 720, bitrate: 1_500_000 });
  /** Every set of receiver streams the room asked for, in order (as `vp8:640x360` strings, sorted). */
  readonly receiverStreams: string[][] = [];
  /** Every stream a keyframe was asked of, in order. */
  readonly keyframeStreams: string[] = [];
  readonly audioStats = { inputsWithLevels: 0, inputsDecoded: 0, inputsMixed: 0, encodings: 0, packetsDecoded: 0, packetsSkipped: 0 };
  started = false;
  keyframeRequests = 0;
  readonly ffmpegPids: number[] = [];
  closed = false;

  /** Each sender's mutes as the room handed them over (its member's record, read by the real mixer each frame). */
  readonly mutes = new Map<string, MuteState>();
  addSender(id: string, name: string, mutes: MuteState): void {
    this.senders.set(id, name);
    this.mutes.set(id, mutes);
  }
  async removeSender(id: string): Promise<void> {
    this.senders.delete(id);
  }
  /** Screens being drawn, by tile id, with the name they are drawn under. */
  readonly screens = new Map<string, string>();
  addScreen(tileId: string, name: string, _sharer: string): void {
    this.screens.set(tileId, name);
  }
  async removeScreen(tileId: string): Promise<void> {
    this.screens.delete(tileId);
  }
  addAudioListener(listenerId: string, ownInput: string | undefined): void {
    this.audioListeners.set(listenerId, ownInput);
  }
  removeAudioListener(listenerId: string): void {
    this.audioListeners.delete(listenerId);
  }
  setListenerLoss(): void {}
  setVideoCodec(): void {}
  start(): void {
    this.started = true;
  }
  requestKeyframe(stream: MixStream): void {
    this.keyframeRequests++;
    this.keyframeStreams.push(`${stream.codec}:${stream.width}x${stream.height}`);
  }
  setReceiverStreams(streams: Iterable<MixStream>): void {
    this.receiverStreams.push([...new Set([...streams].map((s) => `${s.codec}:${s.width}x${s.height}`))].sort());
  }
  pushVideoRtp(id: string, _packet: RtpPacket): void {
    this.videoPackets.push(id);
  }
  pushAudioRtp(): void {}
  setLayout(spec: LayoutChoice): void {
    this.layouts.push(spec);
  }
  /** As the real mixer's: what computeLayout makes of the last choice with the senders here now. */
  get layoutChoice(): LayoutChoice {
    const spec = this.layouts.at(-1) ?? { layout: "grid" };
    return computeLayout(
      spec,
      { cameras: [...this.senders.keys()], screen: undefined, speaker: this.activeSpeaker },
      { width: 1280, height: 720 },
    ).choice;
  }
  /** Recordings the room started: each writes nothing, and starts at once (time 0 is now). */
  recordings = 0;
  record(): MixRecording {
    this.recordings++;
    const fake = { started: Promise.resolve(), bytes: 0, durationMs: 0, finished: false, onDetach: undefined, onError: undefined };
    return { ...fake, mediaTime: () => 0, finish: () => undefined } as unknown as MixRecording;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The factory a room test hands its room, keeping every peer and mixer it made. */
export function fakeRoomMedia(): RoomMediaFactory & { readonly peers: FakePeer[]; readonly mixers: FakeMixer[] } {
  const peers: FakePeer[] = [];
  const mixers: FakeMixer[] = [];
  const peer = () => {
    const p = new FakePeer();
    peers.push(p);
    return p;
  };
  return {
    peers,
    mixers,
    mcuPeer: peer,
    sfuPeer: (_config, onKeyframeRequest, preferH264) => {
      const p = peer();
      p.preferH264 = preferH264;
      p.askKeyframeOf = onKeyframeRequest;
      return p;
    },
    mixer: () => {
      const m = new FakeMixer();
      mixers.push(m);
      return m;
    },
  };
}

/** A participant's signaling channel that keeps what the room says. */
export class FakeChannel implements ParticipantChannel {
  readonly messages: ServerMessage[] = [];
  closedWith: string | undefined;
  send(message: ServerMessage): void {
    this.messages.push(message);
  }
  close(reason: string): void {
    this.closedWith ??= reason;
  }
  errors(code: string): ServerMessage[] {
    return this.messages.filter((m) => m.type === "error" && m.code === code);
  }
}
