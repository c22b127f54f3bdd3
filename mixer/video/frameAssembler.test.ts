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
  return [
    Buffer.concat([Buffer.from([indicator, 0x80 | type]), body.subarray(0, half)]),
    Buffer.concat([Buffer.from([indicator, 0x40 | type]), body.subarray(half)]),
  ];
}

function run(frames: Buffer[][]): { out: EncodedFrame[]; keyframeRequests: number } {
  const out: EncodedFrame[] = [];
  let keyframeRequests = 0;
  const assembler = new FrameAssembler("h264", { frame: (f) => out.push(f), needKeyframe: () => keyframeRequests++ });
  let sequenceNumber = 0;
  frames.forEach((payloads, i) => {
    payloads.forEach((payload, j) => {
      const header = new RtpHeader({
        sequenceNumber: sequenceNumber++,
        timestamp: 3000 * (i + 1),
        marker: j === payloads.length - 1,
        payloadType: 102,
      });
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

describe("VP8 frames: whole frames out, nothing after a loss until a keyframe", () => {
  // A packet: its frame's RTP timestamp and what it carries. "key" and "delta" start a frame (descriptor
  // S=1, PID 0; the payload header's P bit says which); "more" continues one; "end" marks the marker bit.
  type Step = { ts: number; carries: "key" | "delta" | "more"; end?: boolean } | "lost";
  const payload = (carries: "key" | "delta" | "more", body: number) =>
    carries === "more" ? Buffer.from([0x00, body]) : Buffer.from([0x10, carries === "key" ? 0x00 : 0x01, 0x00, 0x00, body]);

  function feed(steps: Step[]) {
    const out: EncodedFrame[] = [];
    let keyframeRequests = 0;
    const assembler = new FrameAssembler("vp8", { frame: (f) => out.push(f), needKeyframe: () => keyframeRequests++ });
    let seq = 0;
    for (const step of steps) {
      if (step === "lost") {
        assembler.lost();
        continue;
      }
      const header = new RtpHeader({ sequenceNumber: seq++ & 0xffff, timestamp: step.ts, marker: step.end ?? false, payloadType: 96 });
      assembler.packet(new RtpPacket(header, payload(step.carries, seq & 0xff)));
    }
    return {
      frames: out.map((f) => ({ ts: f.timestamp, key: f.isKeyframe, bytes: f.data.length })),
      keyframeRequests,
      dropped: assembler.framesDropped,
      outCount: assembler.framesOut,
    };
  }

  const key = (ts: number) => ({ ts, carries: "key" as const, end: true });
  const delta = (ts: number) => ({ ts, carries: "delta" as const, end: true });

  const cases: { name: string; steps: Step[]; frames: { ts: number; key: boolean }[]; dropped: number; asksForKeyframe: boolean }[] = [
    {
      name: "a keyframe and the frames after it",
      steps: [key(3000), delta(6000), delta(9000)],
      frames: [
        { ts: 3000, key: true },
        { ts: 6000, key: false },
        { ts: 9000, key: false },
      ],
      dropped: 0,
      asksForKeyframe: false,
    },
    {
      name: "a delta frame first: dropped, a keyframe asked for",
      steps: [delta(3000), key(6000), delta(9000)],
      frames: [
        { ts: 6000, key: true },
        { ts: 9000, key: false },
      ],
      dropped: 1,
      asksForKeyframe: true,
    },
    {
      name: "a frame over three packets comes out once, at its marker",
      steps: [{ ts: 3000, carries: "key" }, { ts: 3000, carries: "more" }, { ts: 3000, carries: "more", end: true }, delta(6000)],
      frames: [
        { ts: 3000, key: true },
        { ts: 6000, key: false },
      ],
      dropped: 0,
      asksForKeyframe: false,
    },
    {
      name: "a loss inside a frame drops it and every delta frame until the next keyframe",
      steps: [key(3000), { ts: 6000, carries: "delta" }, "lost", delta(9000), delta(12000), key(15000), delta(18000)],
      frames: [
        { ts: 3000, key: true },
        { ts: 15000, key: true },
        { ts: 18000, key: false },
      ],
      dropped: 3,
      asksForKeyframe: true,
    },
    {
      name: "a frame whose marker never came is a loss when the next frame starts",
      steps: [key(3000), { ts: 6000, carries: "delta" }, delta(9000), key(12000)],
      frames: [
        { ts: 3000, key: true },
        { ts: 12000, key: true },
      ],
      dropped: 2,
      asksForKeyframe: true,
    },
    {
      name: "a loss between frames drops nothing but what follows until a keyframe",
      steps: [key(3000), "lost", delta(6000), key(9000)],
      frames: [
        { ts: 3000, key: true },
        { ts: 9000, key: true },
      ],
      dropped: 1,
      asksForKeyframe: true,
    },
    {
      name: "timestamps keep increasing across the 32-bit wrap",
      steps: [key(0xffff_e000), delta(0xffff_f000), delta(0x0000_0800)],
      frames: [
        { ts: 0xffff_e000, key: true },
        { ts: 0xffff_f000, key: false },
        { ts: 0x1_0000_0800, key: false },
      ],
      dropped: 0,
      asksForKeyframe: false,
    },
  ];

  it.each(cases)("$name", ({ steps, frames, dropped, asksForKeyframe }) => {
    const r = feed(steps);
    expect(r.frames.map(({ ts, key }) => ({ ts, key }))).toEqual(frames);
    expect(r.outCount).toBe(frames.length);
    expect(r.dropped).toBe(dropped);
    expect(r.keyframeRequests > 0).toBe(asksForKeyframe);
  });

  it("a frame's packets are joined in order, without their descriptors", () => {
    const r = feed([
      { ts: 3000, carries: "key" },
      { ts: 3000, carries: "more" },
      { ts: 3000, carries: "more", end: true },
    ]);
    // 4 bytes of the first packet's payload (after its 1-byte descriptor), 1 of each continuation.
    expect(r.frames).toEqual([{ ts: 3000, key: true, bytes: 6 }]);
  });
});
