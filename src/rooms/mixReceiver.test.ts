import { describe, expect, it } from "vitest";
import { RtpHeader, RtpPacket } from "werift";
import { renditionLadder, type MixStream } from "../../mixer/video/renditionLadder.js";
import { MixReceiver } from "./mixReceiver.js";

const ladder = renditionLadder({ width: 1280, height: 720, bitrate: 1_500_000 });
const hd: MixStream = { codec: "vp8", ...ladder.landscape[0] };

const packet = (seq: number, ts: number, marker: boolean) =>
  new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: ts, marker }), Buffer.from([0x10, 1, 2, 3]));

describe("MixReceiver.padding", () => {
  it("goes between frames only, in the receiver's sequence, and moves the packets after it on", () => {
    const r = new MixReceiver(ladder);
    r.restart("vp8");
    expect(r.padding(200), "nothing sent yet").toBeUndefined();
    const out: { seq: number; ts: number; padding: boolean; bytes: number }[] = [];
    const send = (p: RtpPacket | undefined) =>
      p && out.push({ seq: p.header.sequenceNumber, ts: p.header.timestamp, padding: p.header.padding, bytes: p.payload.length });
    send(r.route(packet(1000, 9000, false), hd, true)?.packet);
    expect(r.padding(200), "mid-frame").toBeUndefined();
    send(r.route(packet(1001, 9000, true), hd, false)?.packet);
    const pad = r.padding(1000)!;
    send(pad);
    expect(pad.payload[pad.payload.length - 1], "the last byte counts the padding").toBe(255);
    send(r.padding(100));
    send(r.route(packet(1002, 12000, true), hd, false)?.packet);
    expect(out).toEqual([
      { seq: 1000, ts: 9000, padding: false, bytes: 4 },
      { seq: 1001, ts: 9000, padding: false, bytes: 4 },
      { seq: 1002, ts: 9000, padding: true, bytes: 255 },
      { seq: 1003, ts: 9000, padding: true, bytes: 100 },
      { seq: 1004, ts: 12000, padding: false, bytes: 4 },
    ]);
  });
});
