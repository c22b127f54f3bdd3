import { RtpHeader, RtpPacket } from "werift";

/** H264's RTP clock (RFC 6184), as VP8's. */
export const H264_CLOCK_RATE = 90_000;

/** The NAL units of an Annex-B access unit, start codes removed. */
export function nalUnits(accessUnit: Buffer): Buffer[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 2 < accessUnit.length; i++) {
    if (accessUnit[i] === 0 && accessUnit[i + 1] === 0) {
      if (accessUnit[i + 2] === 1) starts.push({ at: i, length: 3 });
      else if (accessUnit[i + 2] === 0 && accessUnit[i + 3] === 1) starts.push({ at: i, length: 4 });
      else continue;
      i += starts[starts.length - 1].length - 1;
    }
  }
  return starts
    .map((s, k) => accessUnit.subarray(s.at + s.length, k + 1 < starts.length ? starts[k + 1].at : accessUnit.length))
    .filter((n) => n.length > 0);
}

/**
 * H264 access units to RTP (RFC 6184, packetization-mode 1): a NAL unit that fits goes alone, a larger
 * one in FU-A fragments; the marker bit ends the access unit. The mix's H264 goes out through it, and the
 * tests' H264 senders use it as a browser's would. Sequence numbers run on for the object's life, across
 * encoder restarts, as the VP8 packetizer's do.
 */
export class H264Packetizer {
  private sequence = Math.floor(Math.random() * 0x10000);

  constructor(
    private readonly payloadType: number,
    private readonly ssrc: number,
    private readonly maxPayloadBytes = 1100,
  ) {}

  packetize(accessUnit: Buffer, timestamp: number): Buffer[] {
    // Access-unit delimiters say nothing a receiver needs over RTP (browsers do not send them).
    const nals = nalUnits(accessUnit).filter((n) => (n[0] & 0x1f) !== 9);
    const payloads: Buffer[] = [];
    for (const nal of nals) {
      if (nal.length <= this.maxPayloadBytes) {
        payloads.push(nal);
        continue;
      }
      const indicator = (nal[0] & 0xe0) | 28;
      const type = nal[0] & 0x1f;
      const chunk = this.maxPayloadBytes - 2;
      for (let offset = 1; offset < nal.length; offset += chunk) {
        const start = offset === 1 ? 0x80 : 0;
        const end = offset + chunk >= nal.length ? 0x40 : 0;
        payloads.push(Buffer.concat([Buffer.from([indicator, start | end | type]), nal.subarray(offset, offset + chunk)]));
      }
    }
    return payloads.map((payload, i) => {
      const header = new RtpHeader({
        payloadType: this.payloadType,
        sequenceNumber: this.sequence,
        timestamp: timestamp >>> 0,
        ssrc: this.ssrc,
        marker: i === payloads.length - 1,
      });
      this.sequence = (this.sequence + 1) & 0xffff;
      return new RtpPacket(header, payload).serialize();
    });
  }
}
