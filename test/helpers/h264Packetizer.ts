import { RtpHeader, RtpPacket } from "werift";

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
  return starts.map((s, k) => accessUnit.subarray(s.at + s.length, k + 1 < starts.length ? starts[k + 1].at : accessUnit.length)).filter((n) => n.length > 0);
}

/**
 * Access units of an Annex-B stream written with access-unit delimiters (x264's `aud=1`), each with its
 * start codes, and whether it holds an IDR picture.
 */
export function accessUnits(annexB: Buffer): { data: Buffer; isKeyframe: boolean }[] {
  const units: { nals: Buffer[]; isKeyframe: boolean }[] = [];
  for (const nal of nalUnits(annexB)) {
    const type = nal[0] & 0x1f;
    if (type === 9 || units.length === 0) units.push({ nals: [], isKeyframe: false });
    const unit = units[units.length - 1];
    if (type !== 9) unit.nals.push(Buffer.from([0, 0, 0, 1]), nal);
    if (type === 5) unit.isKeyframe = true;
  }
  return units.filter((u) => u.nals.length > 0).map((u) => ({ data: Buffer.concat(u.nals), isKeyframe: u.isKeyframe }));
}

/**
 * H264 access units to RTP (RFC 6184, packetization-mode 1): a NAL unit that fits goes alone, a larger
 * one in FU-A fragments; the marker bit ends the access unit. What a browser sending H264 would put on
 * the wire, for tests of the server's H264 input.
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
      const header = new RtpHeader({ payloadType: this.payloadType, sequenceNumber: this.sequence, timestamp: timestamp >>> 0, ssrc: this.ssrc, marker: i === payloads.length - 1 });
      this.sequence = (this.sequence + 1) & 0xffff;
      return new RtpPacket(header, payload).serialize();
    });
  }
}
