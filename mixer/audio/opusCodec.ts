import { createRequire } from "node:module";
import type { OpusEncoder as NativeOpus } from "@discordjs/opus";

// A CommonJS native addon: loaded with require so the ES-module graph (and esbuild) leave it alone.
const { OpusEncoder: NativeOpusCodec } = createRequire(import.meta.url)("@discordjs/opus") as typeof import("@discordjs/opus");

export const OPUS_RATE = 48_000;
/** 20 ms at 48 kHz: the frame size browsers send and the mixer's tick. */
export const FRAME_SAMPLES = 960;
/** Frame sizes libopus accepts at 48 kHz (2.5 to 60 ms); the binding aborts the process on any other. */
const VALID_FRAME_SAMPLES = new Set([120, 240, 480, 960, 1920, 2880]);

/**
 * libopus through @discordjs/opus (a native binding). opusscript, the WebAssembly build used before, wrote
 * PCM at twice its buffer's address and corrupted the shared heap when codecs came and went (every join
 * and leave): docs/decisions.md has the measurement. The native objects own their memory and free it when
 * collected; close() only stops further use.
 */
class OpusCodec {
  private native: NativeOpus | undefined = new NativeOpusCodec(OPUS_RATE, 1);

  protected get codec(): NativeOpus {
    if (!this.native) throw new Error("the Opus codec is closed");
    return this.native;
  }

  get closed(): boolean {
    return this.native === undefined;
  }

  close(): void {
    this.native = undefined;
  }
}

/** libopus's OPUS_RESET_STATE request (opus_defines.h): back to a freshly created codec's state. */
const OPUS_RESET_STATE = 4028;

/** A mono decoder: stereo senders are downmixed by libopus itself. */
export class OpusDecoder extends OpusCodec {
  /**
   * Forgets everything decoded so far, as a new decoder would: for a stream that resumes after packets
   * were skipped undecoded, so the next packet is not predicted from audio long gone. (The binding's
   * ctl call passes a value, which libopus ignores for this request.)
   */
  reset(): void {
    if (!this.closed) this.codec.applyDecoderCTL(OPUS_RESET_STATE, 0);
  }

  /** Returns mono 16-bit samples, or undefined for a packet libopus rejects (or after close). */
  decode(packet: Buffer): Int16Array | undefined {
    // An empty packet means "conceal a loss" to libopus, which would invent 120 ms of audio.
    if (packet.length === 0 || this.closed) return undefined;
    try {
      const pcm = this.codec.decode(packet);
      // The binding hands back a fresh Buffer; an aligned view of it needs no copy.
      if (pcm.byteOffset % 2 === 0) return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2);
      return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
    } catch {
      return undefined;
    }
  }
}

/** libopus encoder requests (opus_defines.h). */
const OPUS_SET_INBAND_FEC_REQUEST = 4012;
const OPUS_SET_PACKET_LOSS_PERC_REQUEST = 4014;
/** libopus spends more on FEC the higher the expected loss; past this it mostly starves the audio itself. */
const MAX_LOSS_PERCENT = 25;

export class OpusEncoder extends OpusCodec {
  private lossPercent = 0;

  constructor(bitrate = 48_000) {
    super();
    this.codec.setBitrate(bitrate);
  }

  /** The expected loss (percent) the encoder is protecting against now. */
  get expectedLossPercent(): number {
    return this.lossPercent;
  }

  /**
   * Sizes Opus in-band FEC (LBRR: a low-bitrate copy of each frame inside the next packet) to the loss its
   * receivers see: off at 0, else on with OPUS_SET_PACKET_LOSS_PERC at `lossFraction` (whole percent, up to
   * 25). The receiver's decoder rebuilds a lost frame from the next packet's copy instead of concealing it.
   */
  protectAgainstLoss(lossFraction: number): void {
    const percent = Math.min(MAX_LOSS_PERCENT, Math.max(0, Math.round(lossFraction * 100)));
    if (percent === this.lossPercent || this.closed) return;
    this.lossPercent = percent;
    this.codec.applyEncoderCTL(OPUS_SET_INBAND_FEC_REQUEST, percent > 0 ? 1 : 0);
    this.codec.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC_REQUEST, percent);
  }

  /** Encodes one frame of mono samples (a libopus frame size: FRAME_SAMPLES in the mixer). */
  encode(pcm: Int16Array): Buffer {
    if (!VALID_FRAME_SAMPLES.has(pcm.length))
      throw new RangeError(`an Opus frame at 48 kHz has 120 to 2880 samples (2.5-60 ms), not ${pcm.length}`);
    return this.codec.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }
}
