import type { RtpPacket } from "werift";
import { ReorderBuffer } from "../rtp/reorderBuffer.js";
import { OpusDecoder } from "./opusCodec.js";
import { SampleFifo } from "./sampleFifo.js";

/** One participant's microphone: RTP -> reorder -> Opus decode -> samples waiting for the next tick. */
export class AudioInput {
  private readonly decoder = new OpusDecoder();
  private readonly fifo = new SampleFifo({ prefill: 1920, maxSamples: 9600 });
  private readonly reorder: ReorderBuffer<RtpPacket>;
  muted = false;
  packetsDecoded = 0;

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

  pushRtp(packet: RtpPacket, now = performance.now()): void {
    this.reorder.push(packet, now);
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
