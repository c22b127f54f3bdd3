import { describe, expect, it } from "vitest";
import { RtpPacket, dePacketizeRtpPackets } from "werift";
import { Vp8Packetizer } from "./vp8Packetizer.js";

describe("VP8 packetizer", () => {
  it("splits a frame into packets werift's depacketizer reassembles", () => {
    const frame = Buffer.alloc(5000);
    for (let i = 0; i < frame.length; i++) frame[i] = (i * 7) & 0xff;
    frame[0] = 0x10; // keyframe tag bit clear
    const p = new Vp8Packetizer(96, 1234, 1200);
    const packets = p.packetize(frame, 90_000).map((b) => RtpPacket.deSerialize(b));
    expect(packets.length).toBe(5);
    expect(packets.map((x) => x.header.marker)).toEqual([false, false, false, false, true]);
    const seqs = packets.map((x) => x.header.sequenceNumber);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] + 1) & 0xffff);
    const out = dePacketizeRtpPackets("vp8", packets);
    expect(out.data.equals(frame)).toBe(true);
    expect(out.isKeyframe).toBe(true);
  });

  it("continues sequence numbers across frames", () => {
    const p = new Vp8Packetizer(96, 1);
    const a = p.packetize(Buffer.alloc(10, 1), 0).map((b) => RtpPacket.deSerialize(b));
    const b = p.packetize(Buffer.alloc(10, 1), 3000).map((x) => RtpPacket.deSerialize(x));
    expect(b[0].header.sequenceNumber).toBe((a[0].header.sequenceNumber + 1) & 0xffff);
    expect(b[0].header.timestamp).toBe(3000);
  });
});
