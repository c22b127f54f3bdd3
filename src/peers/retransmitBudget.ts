/** A sent packet as the retransmission rules see it. */
export interface SentRecord {
  /** When it was first sent (ms). */
  readonly sentAtMs: number;
  /** Bytes on the wire. */
  readonly bytes: number;
  /** How many times it has been retransmitted, and when last. */
  retransmissions: number;
  lastRetransmitMs: number;
}

export type RetransmitDecision = "send" | "wait" | "skip" | "give-up";

export interface RetransmitBudgetOptions {
  /** Give up on packets older than this whatever the RTT, ms. */
  maxAgeMs?: number;
  /** Retransmit one packet at most this many times. */
  maxRetransmissions?: number;
  /** The window the sending rate is measured over, ms. */
  windowMs?: number;
}

/**
 * Which NACKed packets go out again, and when (the rules behind RetransmitController):
 * - a packet older than max(3 RTT, 1 s), capped at `maxAgeMs`, is given up: libwebrtc's sender keeps its
 *   packets that long (RtpPacketHistory: kMinPacketDurationMs, kMinPacketDurationRtt); later, the receiver's
 *   jitter buffer has moved on (it asks for a keyframe, which we answer);
 * - one packet is resent at most `maxRetransmissions` times, and not again within one RTT once the RTT is
 *   known (the earlier copy may still be on its way: libwebrtc's rule);
 * - what goes out to this receiver in the last `windowMs`, media and retransmissions together, plus this packet,
 *   must fit its estimate; otherwise the packet waits (paced: the caller retries it a little later) until it is
 *   too old. So on a link whose estimate the media alone fills, nothing is retransmitted, and the receiver's
 *   picture loss indication brings a keyframe instead of a burst that would only be dropped at the bottleneck.
 */
export class RetransmitBudget {
  private readonly maxAgeMs: number;
  private readonly maxRetransmissions: number;
  private readonly windowMs: number;
  /** Bytes sent, by time, over the window. */
  private readonly sent: { atMs: number; bytes: number }[] = [];
  private sentInWindow = 0;

  constructor(options: RetransmitBudgetOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 2000;
    this.maxRetransmissions = options.maxRetransmissions ?? 3;
    this.windowMs = options.windowMs ?? 500;
  }

  /** Everything sent to the receiver goes through here: media, audio, retransmissions. */
  noteSent(bytes: number, nowMs: number): void {
    this.sent.push({ atMs: nowMs, bytes });
    this.sentInWindow += bytes;
    this.expire(nowMs);
  }

  /** What was sent over the window, bit/s. */
  sendRateBps(nowMs: number): number {
    this.expire(nowMs);
    return (this.sentInWindow * 8 * 1000) / this.windowMs;
  }

  decide(packet: SentRecord, estimateBps: number, rttMs: number | undefined, nowMs: number): RetransmitDecision {
    const usefulFor = Math.min(this.maxAgeMs, Math.max(1000, 3 * (rttMs ?? 0)));
    if (nowMs - packet.sentAtMs > usefulFor || packet.retransmissions >= this.maxRetransmissions) return "give-up";
    if (packet.retransmissions > 0 && rttMs !== undefined && nowMs - packet.lastRetransmitMs < rttMs) return "skip";
    this.expire(nowMs);
    const allowance = (estimateBps / 8) * (this.windowMs / 1000);
    return this.sentInWindow + packet.bytes <= allowance ? "send" : "wait";
  }

  private expire(nowMs: number): void {
    while (this.sent.length > 0 && nowMs - this.sent[0].atMs > this.windowMs) this.sentInWindow -= this.sent.shift()!.bytes;
  }
}
