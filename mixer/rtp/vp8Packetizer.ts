import { RtpHeader, RtpPacket } from "werift";

export const VP8_CLOCK_RATE = 90_000;

/**
 * Splits encoded VP8 frames into RTP packets (RFC 7741) with a 15-bit PictureID, keeping sequence
 * numbers and timestamps continuous for the life of the object, even if the encoder behind it restarts.
 */
export class Vp8Packetizer {
  private sequence = Math.floor(Math.random() * 0x10000);
  private pictureId = Math.floor(Math.random() * 0x8000);

  constructor(
    private readonly payloadType: number,
    private readonly ssrc: number,
    private readonly maxPayloadBytes = 1100,
  ) {}

  packetize(frame: Buffer, timestamp: number): Buffer[] {
    const descriptorBytes = 4;
    const chunk = this.maxPayloadBytes - descriptorBytes;
    const packets: Buffer[] = [];
    for (let offset = 0; offset < frame.length || offset === 0; offset += chunk) {
      const first = offset === 0;
      const last = offset + chunk >= frame.length;
      const descriptor = Buffer.from([
        0x80 | (first ? 0x10 : 0x00), // X=1, S=1 on the first packet of the frame, partition 0
        0x80, // I=1: PictureID present
        0x80 | (this.pictureId >> 8), // M=1: 15-bit PictureID
        this.pictureId & 0xff,
      ]);
      const header = new RtpHeader({
        payloadType: this.payloadType,
        sequenceNumber: this.sequence,
        timestamp: timestamp >>> 0,
        ssrc: this.ssrc,
        marker: last,
      });
      this.sequence = (this.sequence + 1) & 0xffff;
      packets.push(new RtpPacket(header, Buffer.concat([descriptor, frame.subarray(offset, offset + chunk)])).serialize());
      if (last) break;
    }
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    return packets;
  }
}
