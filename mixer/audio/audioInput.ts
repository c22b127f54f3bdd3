import type { RtpPacket } from "werift";
import { ReorderBuffer } from "../rtp/reorderBuffer.js";
import { levelDbov, SILENCE_DBOV } from "./audioLevel.js";
import { OpusDecoder } from "./opusCodec.js";
import { SampleFifo } from "./sampleFifo.js";
import { DEFAULT_TALKER_SELECTION, TalkDetector, type TalkerSelectionOptions } from "./talkerSelector.js";
import { NEVER_MUTED, type MuteState } from "../muteState.js";

/** Past this, a sender has stopped sending levels (or packets): fall back to measuring. */
const HEADER_LEVEL_FRESH_MS = 100;

/** A packet on its way through the reorder buffer, with what arrived beside it. */
interface Arrival {
  readonly header: RtpPacket["header"];
  readonly payload: Buffer;
  /** Its RFC 6464 level, when the sender sends one. */
  readonly dbov: number | undefined;
  readonly at: number;
}

/**
 * One participant's microphone: RTP -> reorder -> Opus decode -> samples waiting for the next tick.
 * Packets whose sender marks them silent (RFC 6464) are not decoded at all once the input has stopped
 * talking; the first one marked as speech resumes decoding on a reset decoder.
 */
export class AudioInput {
  private readonly decoder = new OpusDecoder();
  private readonly fifo = new SampleFifo({ prefill: 1920, maxSamples: 9600 });
  private readonly reorder: ReorderBuffer<Arrival>;
  private readonly talk: TalkDetector;
  packetsDecoded = 0;
  /** Packets not decoded: silent by the sender's own level, or arriving while muted. */
  packetsSkipped = 0;
  /** When (arrival time) the last packet was decoded. */
  lastDecodedAt = -Infinity;
  /** The last packet was skipped: the decoder's state belongs to audio that is long gone. */
  private skipping = false;
  /** The sender's own measurement (RFC 6464), when its packets carry one: cheaper and taken before encoding. */
  private headerLevel: { dbov: number; at: number } | undefined;

  /** `mutes`: the sender's, read as each packet arrives and each tick (the room's record, never a copy). */
  constructor(
    selection: Pick<TalkerSelectionOptions, "thresholdDbov" | "hangoverMs"> = DEFAULT_TALKER_SELECTION,
    private readonly mutes: MuteState = NEVER_MUTED,
  ) {
    this.talk = new TalkDetector(selection);
    this.reorder = new ReorderBuffer<Arrival>({ maxWaitMs: 40, maxPackets: 50 }, { packet: (p) => this.decode(p), lost: () => undefined });
  }

  private get muted(): boolean {
    return this.mutes.audioMuted;
  }

  /** `headerDbov`: the packet's audio-level header extension, if the sender negotiated one. */
  pushRtp(packet: RtpPacket, now = performance.now(), headerDbov?: number): void {
    if (headerDbov !== undefined) {
      this.headerLevel = { dbov: headerDbov, at: now };
      if (!this.muted) this.talk.heard(headerDbov, now);
    }
    this.reorder.push({ header: packet.header, payload: packet.payload, dbov: headerDbov, at: now }, now);
  }

  /** This tick's level in dBov: the header's if one arrived lately, else measured on the samples just pulled. */
  level(pulled: Int16Array | undefined, now: number): number {
    if (this.muted) return SILENCE_DBOV;
    if (this.headerLevel && this.sendsLevels(now)) return this.headerLevel.dbov;
    const measured = pulled ? levelDbov(pulled) : SILENCE_DBOV;
    this.talk.heard(measured, now);
    return measured;
  }

  /** The sender stamps its packets with its level (RFC 6464): only then can its silence go undecoded. */
  sendsLevels(now: number): boolean {
    return this.headerLevel !== undefined && now - this.headerLevel.at < HEADER_LEVEL_FRESH_MS;
  }

  /** Talking now: a level above the threshold within the hangover, and not muted. */
  talking(now: number): boolean {
    return !this.muted && this.talk.talking(now);
  }

  poll(now: number): void {
    this.reorder.poll(now);
  }

  /** One tick of samples, or undefined (silence) while muted, prefilling or starved. */
  pull(count: number): Int16Array | undefined {
    const samples = this.fifo.pull(count);
    return this.muted ? undefined : samples;
  }

  close(): void {
    this.decoder.close();
    this.fifo.clear();
  }

  private decode(p: Arrival): void {
    // A packet without a level cannot be judged unheard: only decoding tells (and measures) it.
    if (this.muted || (p.dbov !== undefined && !this.talk.talking(p.at))) {
      this.packetsSkipped++;
      this.skipping = true;
      return;
    }
    if (this.skipping) {
      // What was skipped was silence by the sender's own measurement, so there is nothing to conceal
      // (PLC would extrapolate the last word into the gap) and nothing left to play: start clean, as a new
      // stream does. The fifo's prefill then holds the first 40 ms back, as at any start.
      this.skipping = false;
      this.decoder.reset();
      this.fifo.clear();
    }
    const pcm = this.decoder.decode(p.payload);
    if (!pcm) return;
    this.packetsDecoded++;
    this.lastDecodedAt = p.at;
    this.fifo.push(pcm);
  }
}
