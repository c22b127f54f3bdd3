import type { RtpPacket } from "werift";
import { ReorderBuffer } from "../rtp/reorderBuffer.js";
import { levelDbov, SILENCE_DBOV } from "./audioLevel.js";
import { OpusDecoder } from "./opusCodec.js";
import { SampleFifo } from "./sampleFifo.js";

/** Past this, a sender has stopped sending levels (or packets): fall back to measuring. */
const HEADER_LEVEL_FRESH_MS = 100;

/** One participant's microphone: RTP -> reorder -> Opus decode -> samples waiting for the next tick. */
export class AudioInput {
  private readonly decoder = new OpusDecoder();
  private readonly fifo = new SampleFifo({ prefill: 1920, maxSamples: 9600 });
  private readonly reorder: ReorderBuffer<RtpPacket>;
  muted = false;
  packetsDecoded = 0;
  /** The sender's own measurement (RFC 6464), when its packets carry one: cheaper and taken before encoding. */
  private headerLevel: { dbov: number; at: number } | undefined;

  constructor() {
    this.reorder = new ReorderBuffer<RtpPacket>(
      { maxWaitMs: 40, maxPackets: 50 },
      {
        packet: (p) => {
          const pcm = this.decoder.decode(p.payload);
          if (!pcm) return;
          this.packetsDecoded++;
          this.fifo.push(pcm);
        },
        lost: () => undefined,
      },
    );
  }

  /** `headerDbov`: the packet's audio-level header extension, if the sender negotiated one. */
  pushRtp(packet: RtpPacket, now = performance.now(), headerDbov?: number): void {
    if (headerDbov !== undefined) this.headerLevel = { dbov: headerDbov, at: now };
    this.reorder.push(packet, now);
  }

  /** This tick's level in dBov: the header's if one arrived lately, else measured on the samples just pulled. */
  level(pulled: Int16Array | undefined, now: number): number {
    if (this.muted) return SILENCE_DBOV;
    if (this.headerLevel && now - this.headerLevel.at < HEADER_LEVEL_FRESH_MS) return this.headerLevel.dbov;
    return pulled ? levelDbov(pulled) : SILENCE_DBOV;
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
}
