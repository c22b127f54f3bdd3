import { RtpHeader, RtpPacket } from "werift";

/**
 * A packet of its own for one receiver's track. werift's sender rewrites the header it is given (SSRC,
 * sequence, payload type) and keeps the object for retransmission, so receivers cannot share one; and
 * handing each track serialized bytes makes it parse them again bit by bit, which cost more than the
 * forwarding itself (`--cpu-prof` of a 6-sender SFU room). Copying the header's fields is cheap; the
 * payload bytes are shared because nothing writes to them.
 */
export function copyForReceiver(packet: RtpPacket): RtpPacket {
  const h = packet.header;
  const header = new RtpHeader({
    version: h.version,
    padding: h.padding,
    paddingSize: h.paddingSize,
    extension: h.extension,
    marker: h.marker,
    payloadType: h.payloadType,
    sequenceNumber: h.sequenceNumber,
    timestamp: h.timestamp,
    ssrc: h.ssrc,
    csrcLength: h.csrcLength,
    csrc: h.csrc,
    extensionProfile: h.extensionProfile,
    extensions: h.extensions,
  });
  return new RtpPacket(header, packet.payload);
}
