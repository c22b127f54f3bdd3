import { EventEmitter } from "node:events";
import type { LayoutChoice } from "../protocol/layoutDefinition.js";
import type { RtpPacket } from "werift";
import { dbovFromHeader } from "./audio/audioLevel.js";
import type { MediaContext } from "./context.js";
import { AudioMixer, type AudioMixerStats, type AudioSink } from "./audio/audioMixer.js";
import type { Rect } from "./layout/gridLayout.js";
import type { RecordingFormat } from "../protocol/recordingFormat.js";
import { MixRecording } from "./recording/mixRecording.js";
import type { VoiceRecorderSettings } from "./recording/voiceRecorder.js";
import type { LabelFont } from "./video/labelFont.js";
import { VideoMixer, type EncodedMixFrame, type VideoMixerStats } from "./video/videoMixer.js";
import { mixStreamKey, renditionLadder, type MixStream, type RenditionLadder } from "./video/renditionLadder.js";
import type { VideoCodec } from "./video/videoCodec.js";
import type { MuteState } from "./muteState.js";

export interface RoomMixerOptions {
  /** Names the room's ffmpeg children in metrics and logs. */
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly videoBitrate: number;
  /** Longest gap between keyframes of the mix when no receiver asks for one (joins and PLIs do). */
  readonly keyframeIntervalMs: number;
  readonly staleAfterMs: number;
  readonly audioBitrate: number;
  /** What participants' names are drawn with in the composite (resolveLabelFont, once at start-up). */
  readonly labelFont: LabelFont;
  /** The room's context: its logger, process group (every ffmpeg child joins it), fault boundary, ffmpeg. */
  readonly context: MediaContext;
}

export type RoomMixerEvents = {
  /**
   * A serialized RTP packet of one stream of the mix (a rendition in a codec); write the same bytes to each
   * track taking that stream. `keyframeStart`: the first packet of a keyframe, where a receiver can switch.
   */
  videoRtp: [packet: Buffer, stream: MixStream, keyframeStart: boolean];
  layout: [tiles: ReadonlyMap<string, Rect>];
  /** A participant's camera must send a keyframe (PLI). */
  keyframeRequest: [participantId: string];
  /** Who is speaking now, by audio level (undefined: nobody yet, or the speaker left and nobody has spoken since). */
  activeSpeaker: [participantId: string | undefined];
};

/**
 * The media plane of one room, as the control plane sees it: participants' RTP in, one mixed video
 * stream plus per-listener audio out. It knows nothing of signaling or peer connections.
 */
export class RoomMixer extends EventEmitter<RoomMixerEvents> {
  private readonly video: VideoMixer;
  private readonly audio: AudioMixer;
  private closed = false;
  private live = false;
  /** The recordings attached, each with the codec its file takes (at the main size). */
  private readonly recordings = new Map<MixRecording, VideoCodec>();
  /** The streams the room's connected receivers take. */
  private receiverStreams: readonly MixStream[] = [];
  /** The sizes the mix can be composed at, from the main output (options.width, height, videoBitrate). */
  readonly ladder: RenditionLadder;

  constructor(readonly options: RoomMixerOptions) {
    super();
    this.ladder = renditionLadder({ width: options.width, height: options.height, bitrate: options.videoBitrate });
    this.video = new VideoMixer({
      label: options.label,
      width: options.width,
      height: options.height,
      fps: options.fps,
      bitrate: options.videoBitrate,
      keyframeIntervalMs: options.keyframeIntervalMs,
      staleAfterMs: options.staleAfterMs,
      context: options.context,
      labelFont: options.labelFont,
    });
    this.audio = new AudioMixer(options.audioBitrate, options.context.faults);
    this.video.on("rtp", (packet, stream, keyframeStart) => this.emit("videoRtp", packet, stream, keyframeStart));
    this.video.on("layout", (tiles) => this.emit("layout", tiles));
    this.video.on("keyframeRequest", (id) => this.emit("keyframeRequest", id));
    this.audio.on("activeSpeaker", (id) => {
      this.video.setActiveSpeaker(id);
      this.emit("activeSpeaker", id);
    });
  }

  get layout(): ReadonlyMap<string, Rect> {
    return this.video.layout;
  }

  get activeSpeaker(): string | undefined {
    return this.audio.activeSpeaker;
  }

  /** The layout choice as it stands (VideoMixer.layoutChoice): the room's layout, as its API reports it. */
  get layoutChoice(): LayoutChoice {
    return this.video.layoutChoice;
  }

  /** The arrangement of the composite; takes effect on the next frame (resized tiles at their next keyframe). */
  setLayout(spec: LayoutChoice): void {
    this.video.setLayout(spec);
  }

  get videoStats(): VideoMixerStats {
    return this.video.stats;
  }

  get audioStats(): AudioMixerStats {
    return this.audio.stats;
  }

  /** This room's running ffmpeg children (its process group's). */
  get ffmpegPids(): number[] {
    return this.options.context.processes.pids;
  }

  /**
   * A sender: drawn in a tile, heard by everyone else. `mutes`: the room's record of their mutes, read where
   * they matter (each picture drawn, each packet heard): nobody tells the mixer when they change.
   */
  addSender(id: string, name: string, mutes: MuteState): void {
    this.video.addInput(id, name, "camera", mutes);
    this.audio.addInput(id, { mutes });
  }

  /**
   * A shared screen: drawn in the layout's `screen` region (the presentation layout unless the room's has one);
   * its sound (pushAudioRtp with `tileId`) heard by everyone but `sharer`.
   */
  addScreen(tileId: string, name: string, sharer: string): void {
    this.video.addInput(tileId, name, "screen");
    this.audio.addInput(tileId, { ownedBy: sharer });
  }

  async removeScreen(tileId: string): Promise<void> {
    this.audio.removeInput(tileId);
    await this.video.removeInput(tileId);
  }

  async removeSender(id: string): Promise<void> {
    this.audio.removeInput(id);
    await this.video.removeInput(id);
  }

  setVideoCodec(id: string, codec: VideoCodec): void {
    this.video.setCodec(id, codec);
  }

  /**
   * Starts the mix (once): a receiver connected, so it must see a picture (name cards at least) even if
   * nobody sends yet. Media arriving starts it too.
   */
  start(): void {
    this.goLive();
  }

  /**
   * The streams (rendition and codec) the room's connected receivers take: one encoder runs per stream,
   * never one per receiver, and a size is composed only while a stream of it runs. The main size in a
   * recording's codec also runs while it does (VP8 for WebM, H264 for MP4, at full quality), and the main
   * size in VP8 alone when nobody is connected.
   */
  setReceiverStreams(streams: Iterable<MixStream>): void {
    const unique = new Map<string, MixStream>();
    for (const s of streams) unique.set(mixStreamKey(s), s);
    this.receiverStreams = [...unique.values()];
    this.updateOutputStreams();
  }

  /** The main size in `codec` (what a receiver starts on, and a recording takes). */
  mainStream(codec: VideoCodec): MixStream {
    return this.video.mainStream(codec);
  }

  /** A receiver of `stream` joined, reported picture loss (PLI) or is moving to it: its next frame is a keyframe. */
  requestKeyframe(stream: MixStream): void {
    this.video.requestKeyframe(stream);
  }

  pushVideoRtp(id: string, packet: RtpPacket): void {
    if (!this.live) this.goLive();
    this.video.pushRtp(id, packet);
  }

  /** `audioLevel`: the packet's RFC 6464 level (0-127) if the sender sends one; else the mixer measures. */
  pushAudioRtp(id: string, packet: RtpPacket, audioLevel?: number): void {
    if (!this.live) this.goLive();
    this.audio.pushRtp(id, packet, audioLevel === undefined ? undefined : dbovFromHeader(audioLevel));
  }

  /** A listener. `ownInput` is left out of their mix (mix-minus); viewers pass undefined. */
  addAudioListener(listenerId: string, ownInput: string | undefined, sink: AudioSink): void {
    this.audio.addOutput(listenerId, ownInput, sink);
  }

  removeAudioListener(listenerId: string): void {
    this.audio.removeOutput(listenerId);
  }

  /** The loss the listener's link sees (0..1): the Opus they hear carries in-band FEC sized to it. */
  setListenerLoss(listenerId: string, lossFraction: number): void {
    this.audio.setOutputLoss(listenerId, lossFraction);
  }

  /**
   * Starts recording the mix to a new file at `path`: the encoder's own frames in the format's codec (VP8
   * for WebM, H264 for MP4; no second encode of a codec already running for receivers, and that codec's
   * encoder is started if none is) and the everyone-mix; with `voices`, each sender's own voice in a file
   * of its own too. The recording stays attached until its finish().
   */
  record(path: string, format: RecordingFormat = "webm", voices?: VoiceRecorderSettings, keyframeWaitMs?: number): MixRecording {
    if (this.closed) throw new Error("the mixer is closed");
    this.goLive();
    const codec = recordingCodec(format);
    const recording = new MixRecording(path, {
      width: this.options.width,
      height: this.options.height,
      format,
      voices,
      keyframeWaitMs,
      faults: this.options.context.faults,
    });
    const onVideo = (f: EncodedMixFrame) => {
      if (f.codec === codec && f.width === this.options.width && f.height === this.options.height)
        recording.video(f.data, f.isKeyframe, f.composedAt);
    };
    const tapId = `recording:${path}`;
    this.video.on("encoded", onVideo);
    this.audio.addEveryoneTap(tapId, (payload, at) => recording.audio(payload, at));
    if (voices) this.audio.addVoicesTap(tapId, (frames, at) => recording.voices(frames, at));
    this.recordings.set(recording, codec);
    this.updateOutputStreams();
    // The file starts at a keyframe: ask for one rather than wait up to the periodic interval.
    this.video.requestKeyframe(this.mainStream(codec));
    recording.onDetach = () => {
      this.video.off("encoded", onVideo);
      this.audio.removeEveryoneTap(tapId);
      this.audio.removeVoicesTap(tapId);
      this.recordings.delete(recording);
      this.updateOutputStreams();
    };
    return recording;
  }

  private updateOutputStreams(): void {
    const streams = [...this.receiverStreams];
    for (const codec of new Set(this.recordings.values())) {
      const main = this.mainStream(codec);
      if (!streams.some((s) => mixStreamKey(s) === mixStreamKey(main))) streams.push(main);
    }
    this.video.setOutputStreams(streams);
  }

  /**
   * The encoder, the compositor's clock and the audio clock start with the first connected receiver, the
   * first media or a recording, not with the room: a join that never connects costs no encoding work.
   */
  private goLive(): void {
    if (this.live || this.closed) return;
    this.live = true;
    this.video.start();
    this.audio.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Whoever started a recording normally finishes it first; this only makes sure no file is left open.
    for (const recording of [...this.recordings.keys()]) recording.finish();
    this.audio.close();
    await this.video.close();
    this.removeAllListeners();
  }
}

/** The mix codec a recording's file takes. */
function recordingCodec(format: RecordingFormat): VideoCodec {
  return format === "mp4" ? "h264" : "vp8";
}
