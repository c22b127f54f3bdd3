import { describe, expect, it } from "vitest";
import { RtpHeader, RtpPacket } from "werift";
import { FrameAssembler, type EncodedFrame } from "./frameAssembler.js";

// H264 frames as browsers packetize them (RFC 6184, packetization-mode 1). NAL header bytes: 0x67 SPS, 0x68 PPS,
// 0x65 IDR slice, 0x41 non-IDR slice; 24 is STAP-A, 28 FU-A.
const SPS = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0x8c]);
const PPS = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const IDR = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x33]);
const SLICE = Buffer.from([0x41, 0x9a, 0x02, 0x04]);

function stapA(...nals: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0x18]), ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);
}

/** An FU-A pair carrying `nal` in two halves. */
function fuA(nal: Buffer): Buffer[] {
  const indicator = (nal[0] & 0xe0) | 28;
  const type = nal[0] & 0x1f;
  const body = nal.subarray(1);
  const half = Math.ceil(body.length / 2);
  return [Buffer.concat([Buffer.from([indicator, 0x80 | type]), body.subarray(0, half)]), Buffer.concat([Buffer.from([indicator, 0x40 | type]), body.subarray(half)])];
}

function run(frames: Buffer[][]): { out: EncodedFrame[]; keyframeRequests: number } {
  const out: EncodedFrame[] = [];
  let keyframeRequests = 0;
  const assembler = new FrameAssembler("h264", { frame: (f) => out.push(f), needKeyframe: () => keyframeRequests++ });
  let sequenceNumber = 0;
  frames.forEach((payloads, i) => {
    payloads.forEach((payload, j) => {
      const header = new RtpHeader({ sequenceNumber: sequenceNumber++, timestamp: 3000 * (i + 1), marker: j === payloads.length - 1, payloadType: 102 });
      assembler.packet(new RtpPacket(header, payload));
    });
  });
  return { out, keyframeRequests };
}

describe("H264 keyframes, however the sender packetized them", () => {
  const cases = [
    { name: "SPS, PPS and the IDR in one STAP-A (Chromium's OpenH264, a small picture)", keyframe: [stapA(SPS, PPS, IDR)] },
    { name: "SPS and PPS in a STAP-A, the IDR on its own", keyframe: [stapA(SPS, PPS), IDR] },
    { name: "SPS and PPS in a STAP-A, the IDR in FU-A fragments", keyframe: [stapA(SPS, PPS), ...fuA(IDR)] },
    { name: "every NAL unit on its own", keyframe: [SPS, PPS, IDR] },
  ];
  it.each(cases)("$name: the keyframe and what follows it come out", ({ keyframe }) => {
    const { out } = run([keyframe, [SLICE]]);
    expect(out.map((f) => f.isKeyframe)).toEqual([true, false]);
    expect(out[0].data.includes(IDR)).toBe(true);
  });

  it("drops frames until a keyframe, asking for one", () => {
    const { out, keyframeRequests } = run([[SLICE], [stapA(SPS, PPS, IDR)]]);
    expect(out.map((f) => f.isKeyframe)).toEqual([true]);
    expect(keyframeRequests).toBeGreaterThan(0);
  });
});
