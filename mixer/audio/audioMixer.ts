import { EventEmitter } from "node:events";
import { RtpHeader, RtpPacket, type RtpPacket as RtpPacketType } from "werift";
import { Ticker } from "../clock/ticker.js";
import type { FaultBoundary } from "../faults.js";
import { ActiveSpeakerDetector } from "./activeSpeaker.js";
import { AudioInput } from "./audioInput.js";
import { accumulate, mixMinus } from "./mixMinus.js";
import { FRAME_SAMPLES, OpusEncoder } from "./opusCodec.js";

export type AudioSink = (packet: Buffer) => void;
/** An Opus frame of the everyone-mix and the time (performance.now) of the tick it was mixed on. */
export type EncodedAudioTap = (payload: Buffer, scheduledAt: number) => void;

/** Listeners who hear the same mix share one encoder and one RTP stream. */
interface MixGroup {
  readonly encoder: OpusEncoder;
  readonly sinks: Map<string, AudioSink>;
  /** Consumers of the encoded frames themselves (a recording), not RTP. */
  readonly taps: Map<string, EncodedAudioTap>;
  readonly ssrc: number;
  sequence: number;
}

const RTP_PAYLOAD_TYPE = 111;
const EVERYONE = "";

type AudioMixerEvents = {
  /** The active speaker changed (undefined: the speaker left and nobody else has spoken since). */
  activeSpeaker: [participantId: string | undefined];
};

/**
 * Mix-minus on a 20 ms clock: each tick sums every input once, then each listener group gets the sum
 * minus its own voice, encoded once per group. The clock does not wait for anyone, so a join, a leave or
 * a silent sender changes only what is in the sum, never when packets go out.
 */
export class AudioMixer extends EventEmitter<AudioMixerEvents> {
  private readonly inputs = new Map<string, AudioInput>();
  private readonly groups = new Map<string, MixGroup>();
  private readonly ticker: Ticker;
  private readonly poller: NodeJS.Timeout;
  private readonly speakers = new ActiveSpeakerDetector();
  ticks = 0;

  constructor(
    private readonly bitrate: number,
    faults: FaultBoundary,
  ) {
    super();
    this.ticker = new Ticker(20, faults.wrap("audio mix tick", (index: number, scheduledAt: number) => this.tick(index, scheduledAt)));
    this.poller = setInterval(
      faults.wrap("audio input poll", () => {
        const now = performance.now();
        for (const input of this.inputs.values()) input.poll(now);
      }),
      20,
    );
  }

  /** Starts the 20 ms clock (once): called when the room's first media arrives, so an idle room encodes nothing. */
  start(): void {
    this.ticker.start();
  }

  addInput(id: string): void {
    if (!this.inputs.has(id)) this.inputs.set(id, new AudioInput());
  }

  removeInput(id: string): void {
    this.inputs.get(id)?.close();
    this.inputs.delete(id);
    if (this.speakers.remove(id)) this.emit("activeSpeaker", undefined);
  }

  get activeSpeaker(): string | undefined {
    return this.speakers.speaker;
  }

  setMuted(id: string, muted: boolean): void {
    const input = this.inputs.get(id);
    if (input) input.muted = muted;
  }

  /** `headerDbov`: the packet's RFC 6464 audio level, when the sender sends one. */
  pushRtp(id: string, packet: RtpPacketType, headerDbov?: number): void {
    this.inputs.get(id)?.pushRtp(packet, performance.now(), headerDbov);
  }

  /** `excludeInput`: the listener's own input, left out of what they hear (undefined: hear everyone). */
  addOutput(outputId: string, excludeInput: string | undefined, sink: AudioSink): void {
    this.group(excludeInput ?? EVERYONE).sinks.set(outputId, sink);
  }

  removeOutput(outputId: string): void {
    for (const [key, group] of this.groups) {
      if (group.sinks.delete(outputId)) this.dropIfUnused(key, group);
    }
  }

  /** Everyone's voice, Opus-encoded: the same encoding viewers hear, shared with them when there are any. */
  addEveryoneTap(tapId: string, tap: EncodedAudioTap): void {
    this.group(EVERYONE).taps.set(tapId, tap);
  }

  removeEveryoneTap(tapId: string): void {
    const group = this.groups.get(EVERYONE);
    if (group?.taps.delete(tapId)) this.dropIfUnused(EVERYONE, group);
  }

  private group(key: string): MixGroup {
    let group = this.groups.get(key);
    if (!group) {
      group = { encoder: new OpusEncoder(this.bitrate), sinks: new Map(), taps: new Map(), ssrc: (Math.random() * 0xffffffff) >>> 0, sequence: Math.floor(Math.random() * 0x10000) };
      this.groups.set(key, group);
    }
    return group;
  }

  private dropIfUnused(key: string, group: MixGroup): void {
    if (group.sinks.size > 0 || group.taps.size > 0) return;
    group.encoder.close();
    this.groups.delete(key);
  }

  close(): void {
    this.ticker.stop();
    clearInterval(this.poller);
    for (const input of this.inputs.values()) input.close();
    for (const group of this.groups.values()) group.encoder.close();
    this.inputs.clear();
    this.groups.clear();
    this.removeAllListeners();
  }

  private tick(index: number, scheduledAt: number): void {
    this.ticks++;
    const total = new Int32Array(FRAME_SAMPLES);
    const pulled = new Map<string, Int16Array>();
    for (const [id, input] of this.inputs) {
      const samples = input.pull(FRAME_SAMPLES);
      this.speakers.observe(id, input.level(samples, scheduledAt), scheduledAt);
      if (!samples) continue;
      pulled.set(id, samples);
      accumulate(total, samples);
    }
    if (this.speakers.decide(scheduledAt)) this.emit("activeSpeaker", this.speakers.speaker);
    // The RTP clock counts ticks, skipped ones included, so timestamps stay on wall-clock time.
    const timestamp = (index * FRAME_SAMPLES) >>> 0;
    for (const [key, group] of this.groups) {
      const pcm = mixMinus(total, key === EVERYONE ? undefined : pulled.get(key));
      const payload = group.encoder.encode(pcm);
      for (const tap of group.taps.values()) tap(payload, scheduledAt);
      const header = new RtpHeader({ payloadType: RTP_PAYLOAD_TYPE, sequenceNumber: group.sequence, timestamp, ssrc: group.ssrc, marker: false });
      group.sequence = (group.sequence + 1) & 0xffff;
      const packet = new RtpPacket(header, payload).serialize();
      for (const sink of group.sinks.values()) sink(packet);
    }
  }
}
