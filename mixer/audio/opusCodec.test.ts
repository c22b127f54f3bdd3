import { describe, expect, it } from "vitest";
import { levelDbov } from "./audioLevel.js";
import { FRAME_SAMPLES, OPUS_RATE, OpusDecoder, OpusEncoder } from "./opusCodec.js";

function tone(hz: number, firstSample: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (firstSample + i)) / OPUS_RATE));
  return out;
}

describe("Opus codec", () => {
  it("round-trips a tone at its level", () => {
    const encoder = new OpusEncoder();
    const decoder = new OpusDecoder();
    let decoded: Int16Array | undefined;
    for (let i = 0; i < 10; i++) decoded = decoder.decode(encoder.encode(tone(440, i * FRAME_SAMPLES)));
    expect(decoded).toHaveLength(FRAME_SAMPLES);
    expect(Math.abs(levelDbov(decoded!) - levelDbov(tone(440, 0)))).toBeLessThan(2);
  });

  // What a six-person room does while people come and go: codecs that stay, codecs created and closed around
  // them, each used for a frame. opusscript 0.1.1 failed this within a few iterations ("memory access out of
  // bounds", "Encode error: Bad argument"), because it wrote PCM outside its own allocation.
  it("stays correct while encoders and decoders are created and closed around long-lived ones", () => {
    const held = Array.from({ length: 6 }, () => ({ encoder: new OpusEncoder(), decoder: new OpusDecoder() }));
    const reference = levelDbov(tone(440, 0));
    for (let iteration = 0; iteration < 200; iteration++) {
      const churn = Array.from({ length: 4 + (iteration % 5) }, () => ({ encoder: new OpusEncoder(), decoder: new OpusDecoder() }));
      for (const pair of churn)
        expect(pair.decoder.decode(pair.encoder.encode(tone(660, iteration * FRAME_SAMPLES)))).toHaveLength(FRAME_SAMPLES);
      for (const pair of held) {
        const decoded = pair.decoder.decode(pair.encoder.encode(tone(440, iteration * FRAME_SAMPLES)));
        expect(decoded).toHaveLength(FRAME_SAMPLES);
        // The first frames are the codec's ramp-up; after that the level must hold.
        if (iteration > 5) expect(Math.abs(levelDbov(decoded!) - reference)).toBeLessThan(2);
      }
      for (const pair of churn) {
        pair.encoder.close();
        pair.decoder.close();
      }
    }
  });

  it("a reset decoder decodes a stream resumed after skipped packets as a fresh one would", () => {
    const encoder = new OpusEncoder();
    const packets = Array.from({ length: 60 }, (_, i) => encoder.encode(tone(440, i * FRAME_SAMPLES)));
    const resumed = new OpusDecoder();
    const fresh = new OpusDecoder();
    for (let i = 0; i < 10; i++) resumed.decode(packets[i]);
    // Packets 10-49 are skipped undecoded; both decoders then start at packet 50.
    resumed.reset();
    for (let i = 50; i < 60; i++) expect([...resumed.decode(packets[i])!]).toEqual([...fresh.decode(packets[i])!]);
    resumed.close();
    expect(() => resumed.reset()).not.toThrow();
  });

  it("rejects what a sender may send without throwing: garbage, empty packets, a closed decoder", () => {
    const decoder = new OpusDecoder();
    expect(decoder.decode(Buffer.alloc(0))).toBeUndefined();
    expect(decoder.decode(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(decoder.decode(Buffer.alloc(2000, 7))).toBeUndefined();
    decoder.close();
    expect(decoder.decode(new OpusEncoder().encode(tone(440, 0)))).toBeUndefined();
  });

  it("refuses a frame size libopus cannot encode, instead of aborting the process", () => {
    const encoder = new OpusEncoder();
    expect(() => encoder.encode(new Int16Array(7))).toThrow(/120 to 2880 samples/);
    expect(encoder.encode(tone(440, 0)).length).toBeGreaterThan(0);
  });
});
