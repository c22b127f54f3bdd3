/**
 * What the server knows of the link to one receiver, from that receiver's own RTCP feedback (transport-cc,
 * receiver reports, REMB). PeerConnection emits it as `link` (about every 500 ms once connected); the room
 * picks the receiver's rendition from it. One home for the type: src/peers/linkEstimator.ts computes it.
 */
export interface LinkEstimate {
  /** What the link carries to this receiver now, in bit/s (everything sent on the connection: video, audio, retransmissions). */
  availableBps: number;
  /** Share of the packets sent to the receiver that it reports lost, 0..1 (smoothed). */
  lossFraction: number;
  /** Round-trip time from receiver reports (RFC 3550 LSR/DLSR); undefined until the first one. */
  rttMs: number | undefined;
}
