import { EventEmitter } from "node:events";
import type { MuteState } from "../muteState.js";
import { RtpHeader, RtpPacket, type RtpPacket as RtpPacketType } from "werift";
import { Ticker } from "../clock/ticker.js";
import type { FaultBoundary } from "../faults.js";
import { ActiveSpeakerDetector } from "./activeSpeaker.js";
import { AudioInput } from "./audioInput.js";
import { levelDbov } from "./audioLevel.js";
import { accumulate, mixMinus } from "./mixMinus.js";
import { FRAME_SAMPLES, OpusEncoder } from "./opusCodec.js";
import { DEFAULT_TALKER_SELECTION, TalkerSelector, type TalkerSelectionOptions } from "./talkerSelector.js";

export type AudioSink = (packet: Buffer) => void;
/** An Opus frame of the everyone-mix and the time (performance.now) of the tick it was mixed on. */
export type EncodedAudioTap = (payload: Buffer, scheduledAt: number) => void;
/** Each input's decoded 20 ms this tick (undefined: silent, muted or nothing arrived), on the mix clock. */
export type VoicesTap = (voices: ReadonlyMap<string, Int16Array | undefined>, scheduledAt: number) => void;

/** What the audio mixer is doing, for /metrics. */
export interface AudioMixerStats {
  /** Inputs whose packets carry the sender's level (RFC 6464, within the last 100 ms): browsers' do. */
  readonly inputsWithLevels: number;
  /** Inputs being decoded: a packet of theirs was decoded within the last 100 ms. */
  readonly inputsDecoded: number;
  /** Inputs in the last tick's mix (at most the selection's maxTalkers). */
  readonly inputsMixed: number;
  /** Opus encodings made on the last tick: the everyone-mix, plus one mix-minus per talker in the mix. */
  readonly encodings: number;
  /** Packets decoded, and packets skipped undecoded (silent by the sender's level, or muted), by inputs present now. */
  readonly packetsDecoded: number;
  readonly packetsSkipped: number;
}

/** One listener: where their packets go, and their own sequence numbers, continuous whichever mix they hear. */
interface Output {
  readonly ownInput: string | undefined;
  readonly sink: AudioSink;
  sequence: number;
  /** The share of packets this listener's link loses (from their receiver feedback), 0..1. */
  loss: number;
}

/** A talker's mix-minus: everyone in the mix but them, encoded for them alone. */
interface OwnMix {
  readonly encoder: OpusEncoder;
  /** Ticks mixed since the talker was last in the mix (0: in it now). Counted in encodes, not clock time. */
  ticksOut: number;
  /** This tick's packet (serialized, sequence number 0), made once even if several outputs hear it. */
  packet: Buffer | undefined;
}

const RTP_PAYLOAD_TYPE = 111;
const DECODING_RECENT_MS = 100;
/**
 * A talker who leaves the mix keeps their own mix-minus this many more ticks before hearing the
 * everyone-mix: an Opus packet carries 6.5 ms of the previous frame (the encoder's lookahead), so the
 * everyone-mix's next packet still holds the end of their voice. Two ticks leave room to spare.
 */
const LEAVE_HOLD_TICKS = 2;

type AudioMixerEvents = {
  /** The active speaker changed (undefined: the speaker left and nobody else has spoken since). */
  activeSpeaker: [participantId: string | undefined];
};

/**
 * Talkers-only mix-minus on a 20 ms clock. Each tick mixes at most `maxTalkers` inputs, the loudest of
 * those talking (TalkerSelector). Every listener whose own voice is not in the mix hears the same
 * everyone-mix, encoded once; each talker in the mix gets the mix minus their own voice, encoded for them.
 * Inputs that are not talking are not mixed, and the silent packets of a sender that marks them (RFC
 * 6464) are not even decoded. The clock does not wait for anyone, so a join, a leave or a silent sender
 * changes only what is in the mix, never when packets go out.
 */
export class AudioMixer extends EventEmitter<AudioMixerEvents> {
  private readonly inputs = new Map<string, AudioInput>();
  /** Extra inputs (a shared screen's sound) by id, and the participant who must not hear each (its sharer). */
  private readonly extraOwners = new Map<string, string>();
  private readonly outputs = new Map<string, Output>();
  private readonly taps = new Map<string, EncodedAudioTap>();
  private readonly voiceTaps = new Map<string, VoicesTap>();
  private readonly ownMixes = new Map<string, OwnMix>();
  private everyone: OpusEncoder | undefined;
  private readonly ticker: Ticker;
  private readonly poller: NodeJS.Timeout;
  private readonly speakers = new ActiveSpeakerDetector();
  private readonly talkers: TalkerSelector;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private lastTick = { mixed: 0, encodings: 0, at: -Infinity };
  private closed = false;

  constructor(
    private readonly bitrate: number,
    faults: FaultBoundary,
    private readonly selection: TalkerSelectionOptions = DEFAULT_TALKER_SELECTION,
  ) {
    super();
    this.talkers = new TalkerSelector(selection);
    this.ticker = new Ticker(
      20,
      faults.wrap("audio mix tick", (index: number, scheduledAt: number) => this.mixTick(index, scheduledAt)),
    );
    this.poller = setInterval(
      faults.wrap("audio input poll", () => this.poll(performance.now())),
      20,
    );
    this.poller.unref();
  }

  /** Starts the 20 ms clock (once): called when the room's first media arrives, so an idle room encodes nothing. */
  start(): void {
    if (!this.closed) this.ticker.start();
  }

  /**
   * A participant's voice; or, with `ownedBy`, an extra input of that participant (a shared screen's sound):
   * mixed whenever it has sound, outside the talker selection (a tab's audio is not a voice competing for a
   * place, nor a speaker to draw large), not one of the recording's voices, and left out of `ownedBy`'s own
   * mix-minus as their voice is (they would hear their own tab back late).
   */
  addInput(id: string, options: { readonly ownedBy?: string; readonly mutes?: MuteState } = {}): void {
    if (this.inputs.has(id)) return;
    this.inputs.set(id, new AudioInput(this.selection, options.mutes));
    if (options.ownedBy !== undefined) this.extraOwners.set(id, options.ownedBy);
  }

  removeInput(id: string): void {
    this.inputs.get(id)?.close();
    this.inputs.delete(id);
    if (this.extraOwners.delete(id)) return;
    this.talkers.remove(id);
    if (this.speakers.remove(id)) this.emit("activeSpeaker", undefined);
  }

  get activeSpeaker(): string | undefined {
    return this.speakers.speaker;
  }

  get stats(): AudioMixerStats {
    let inputsDecoded = 0;
    let inputsWithLevels = 0;
    let packetsDecoded = 0;
    let packetsSkipped = 0;
    for (const input of this.inputs.values()) {
      // On the mixer's own clock (the last tick's time), so a test's virtual clock works too; nothing before the first tick.
      const at = this.lastTick.at;
      if (Number.isFinite(at) && at - input.lastDecodedAt < DECODING_RECENT_MS) inputsDecoded++;
      if (Number.isFinite(at) && input.sendsLevels(at)) inputsWithLevels++;
      packetsDecoded += input.packetsDecoded;
      packetsSkipped += input.packetsSkipped;
    }
    return {
      inputsWithLevels,
      inputsDecoded,
      inputsMixed: this.lastTick.mixed,
      encodings: this.lastTick.encodings,
      packetsDecoded,
      packetsSkipped,
    };
  }

  /** `headerDbov`: the packet's RFC 6464 audio level, when the sender sends one. `now`: its arrival (performance.now). */
  pushRtp(id: string, packet: RtpPacketType, headerDbov?: number, now = performance.now()): void {
    this.inputs.get(id)?.pushRtp(packet, now, headerDbov);
  }

  /** Releases packets held behind a gap for too long; the mixer's own timer calls it every 20 ms. */
  poll(now: number): void {
    for (const input of this.inputs.values()) input.poll(now);
  }

  /** `excludeInput`: the listener's own input, never in what they hear (undefined: a viewer, hears the mix). */
  addOutput(outputId: string, excludeInput: string | undefined, sink: AudioSink): void {
    this.outputs.set(outputId, { ownInput: excludeInput, sink, sequence: Math.floor(Math.random() * 0x10000), loss: 0 });
  }

  /**
   * The loss this listener's link sees (0..1): the Opus encoder they hear protects against the worst loss among
   * the listeners it serves (in-band FEC, OpusEncoder.protectAgainstLoss), from the next tick on.
   */
  setOutputLoss(outputId: string, lossFraction: number): void {
    const output = this.outputs.get(outputId);
    if (output && Number.isFinite(lossFraction)) output.loss = Math.min(1, Math.max(0, lossFraction));
  }

  removeOutput(outputId: string): void {
    this.outputs.delete(outputId);
  }

  /** Everyone's voice, Opus-encoded: the same encoding viewers hear, shared with them when there are any. */
  addEveryoneTap(tapId: string, tap: EncodedAudioTap): void {
    this.taps.set(tapId, tap);
  }

  removeEveryoneTap(tapId: string): void {
    this.taps.delete(tapId);
  }

  /** Every input's own voice, each tick, before any mixing: a recording's per-participant files. */
  addVoicesTap(tapId: string, tap: VoicesTap): void {
    this.voiceTaps.set(tapId, tap);
  }

  removeVoicesTap(tapId: string): void {
    this.voiceTaps.delete(tapId);
  }

  close(): void {
    this.closed = true;
    this.ticker.stop();
    clearInterval(this.poller);
    for (const input of this.inputs.values()) input.close();
    for (const own of this.ownMixes.values()) own.encoder.close();
    this.everyone?.close();
    this.everyone = undefined;
    this.inputs.clear();
    this.ownMixes.clear();
    this.outputs.clear();
    this.taps.clear();
    this.voiceTaps.clear();
    this.removeAllListeners();
  }

  /**
   * One 20 ms tick: pull every input, choose the talkers, mix, encode, send. The mixer's clock calls it;
   * a test or a benchmark may call it directly (without start()) on a clock of its own.
   */
  mixTick(index: number, scheduledAt: number): void {
    if (this.closed) return;
    const pulled = new Map<string, Int16Array>();
    const talking: string[] = [];
    /** This tick's extra inputs with sound, by the participant who must not hear them. */
    const extras = new Map<string, Int16Array[]>();
    for (const [id, input] of this.inputs) {
      const samples = input.pull(FRAME_SAMPLES);
      const owner = this.extraOwners.get(id);
      if (owner !== undefined) {
        if (samples) extras.set(owner, [...(extras.get(owner) ?? []), samples]);
        continue;
      }
      const level = input.level(samples, scheduledAt);
      this.speakers.observe(id, level, scheduledAt);
      // Talkers are ranked by what their decoded audio really measures, when there is some: a sender cannot
      // hold a place in the mix with a level its audio does not have. Its header still decides what is decoded.
      this.talkers.observe(id, samples && input.sendsLevels(scheduledAt) ? levelDbov(samples) : level, scheduledAt);
      if (samples) pulled.set(id, samples);
      // A talker enters the mix with its first samples (there is nothing to mix before), and stays while talking.
      if (input.talking(scheduledAt) && (samples || this.talkers.current.has(id))) talking.push(id);
    }
    if (this.voiceTaps.size > 0) {
      const voices = new Map<string, Int16Array | undefined>();
      for (const id of this.inputs.keys()) if (!this.extraOwners.has(id)) voices.set(id, pulled.get(id));
      for (const tap of this.voiceTaps.values()) tap(voices, scheduledAt);
    }
    if (this.speakers.decide(scheduledAt)) this.emit("activeSpeaker", this.speakers.speaker);
    const mixed = this.talkers.select(talking);
    const total = new Int32Array(FRAME_SAMPLES);
    for (const id of mixed) {
      const samples = pulled.get(id);
      if (samples) accumulate(total, samples);
    }
    for (const list of extras.values()) for (const samples of list) accumulate(total, samples);
    // Whose own sound is in the mix: a talker's voice, a sharer's screen; each of them hears a mix-minus.
    const own = new Map<string, Int16Array | Int32Array>();
    for (const id of mixed) {
      const samples = pulled.get(id);
      if (samples) own.set(id, samples);
    }
    for (const [owner, list] of extras) {
      const sum = new Int32Array(FRAME_SAMPLES);
      const voice = own.get(owner);
      if (voice) accumulate(sum, voice);
      for (const samples of list) accumulate(sum, samples);
      own.set(owner, sum);
    }
    this.updateOwnMixes(new Set([...mixed, ...extras.keys()]));
    this.sizeProtection();

    // The RTP clock counts ticks, skipped ones included, so timestamps stay on wall-clock time.
    const timestamp = (index * FRAME_SAMPLES) >>> 0;
    let encodings = 0;
    const encode = (encoder: OpusEncoder, own: Int16Array | Int32Array | undefined): { payload: Buffer; packet: Buffer } => {
      encodings++;
      const payload = encoder.encode(mixMinus(total, own));
      const header = new RtpHeader({ payloadType: RTP_PAYLOAD_TYPE, sequenceNumber: 0, timestamp, ssrc: this.ssrc, marker: false });
      return { payload, packet: new RtpPacket(header, payload).serialize() };
    };
    // Encoded every tick while anyone might hear it, so its state never holds audio from an older mix.
    let everyone: Buffer | undefined;
    if (this.outputs.size > 0 || this.taps.size > 0) {
      this.everyone ??= new OpusEncoder(this.bitrate);
      const { payload, packet } = encode(this.everyone, undefined);
      everyone = packet;
      for (const tap of this.taps.values()) tap(payload, scheduledAt);
    } else {
      // Nobody hears it: the next listener gets a fresh encoder rather than one holding an old mix.
      this.everyone?.close();
      this.everyone = undefined;
    }
    for (const [id, mix] of this.ownMixes) mix.packet = encode(mix.encoder, own.get(id)).packet;
    for (const output of this.outputs.values()) {
      const own = output.ownInput === undefined ? undefined : this.ownMixes.get(output.ownInput);
      const packet = own ? own.packet : everyone;
      if (!packet) continue;
      // Each listener's own copy with their own sequence number: moving between the everyone-mix and their
      // mix-minus must look like one continuous stream to their jitter buffer.
      const copy = Buffer.from(packet);
      copy.writeUInt16BE(output.sequence, 2);
      output.sequence = (output.sequence + 1) & 0xffff;
      output.sink(copy);
    }
    this.lastTick = { mixed: mixed.size + [...extras.values()].reduce((n, list) => n + list.length, 0), encodings, at: scheduledAt };
  }

  /**
   * Encoders are shared (the everyone-mix by every listener not hearing a mix-minus; a mix-minus by its talker's
   * outputs), so each is sized to the worst loss among the listeners who hear it this tick.
   */
  private sizeProtection(): void {
    let everyoneLoss = 0;
    const ownLoss = new Map<string, number>();
    for (const output of this.outputs.values()) {
      const own = output.ownInput === undefined ? undefined : this.ownMixes.get(output.ownInput);
      if (own && output.ownInput !== undefined) ownLoss.set(output.ownInput, Math.max(ownLoss.get(output.ownInput) ?? 0, output.loss));
      else everyoneLoss = Math.max(everyoneLoss, output.loss);
    }
    this.everyone?.protectAgainstLoss(everyoneLoss);
    for (const [id, own] of this.ownMixes) own.encoder.protectAgainstLoss(ownLoss.get(id) ?? 0);
  }

  /** A mix-minus for each participant whose sound is in the mix and each who left it less than LEAVE_HOLD_TICKS ago, if anyone hears it. */
  private updateOwnMixes(mixed: ReadonlySet<string>): void {
    const heard = new Set<string>();
    for (const output of this.outputs.values()) if (output.ownInput !== undefined) heard.add(output.ownInput);
    for (const id of mixed) {
      if (!heard.has(id)) continue;
      // A new encoder, never one that encoded someone else's mix: nothing of theirs is in its state.
      if (!this.ownMixes.has(id)) this.ownMixes.set(id, { encoder: new OpusEncoder(this.bitrate), ticksOut: 0, packet: undefined });
    }
    for (const [id, own] of this.ownMixes) {
      own.ticksOut = mixed.has(id) ? 0 : own.ticksOut + 1;
      if (heard.has(id) && this.inputs.has(id) && own.ticksOut <= LEAVE_HOLD_TICKS) continue;
      own.encoder.close();
      this.ownMixes.delete(id);
    }
  }
}
