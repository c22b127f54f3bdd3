import OpusScript from "opusscript";

export const OPUS_RATE = 48_000;
/** 20 ms at 48 kHz: the frame size browsers send and the mixer's tick. */
export const FRAME_SAMPLES = 960;

/** libopus (compiled to WebAssembly) as a mono decoder: stereo senders are downmixed by libopus itself. */
export class OpusDecoder {
  private readonly codec = new OpusScript(OPUS_RATE, 1, OpusScript.Application.AUDIO);

  /** Returns mono 16-bit samples, or undefined for a packet libopus rejects. */
  decode(packet: Buffer): Int16Array | undefined {
    if (packet.length === 0) return undefined;
    try {
      const pcm = this.codec.decode(packet);
      return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.codec.delete();
  }
}

export class OpusEncoder {
  private readonly codec = new OpusScript(OPUS_RATE, 1, OpusScript.Application.AUDIO);

  constructor(bitrate = 48_000) {
    this.codec.setBitrate(bitrate);
  }

  encode(pcm: Int16Array): Buffer {
    return this.codec.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), pcm.length);
  }

  close(): void {
    this.codec.delete();
  }
}
