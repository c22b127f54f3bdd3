import { RunLengthChunk, type TransportWideCC } from "werift";

/** One packet's line in a transport-cc feedback: its transport-wide sequence number and arrival (receiver's clock). */
export interface TwccResult {
  readonly seq: number;
  /** ms on the receiver's clock; undefined: reported not received. */
  readonly arrivedAtMs: number | undefined;
}

/** Packet status symbols (draft-holmer-rmcat-transport-wide-cc-extensions-01, 3.1.1). */
const RECEIVED_SMALL_DELTA = 1;
const RECEIVED_LARGE_DELTA = 2;

/**
 * The per-packet results of a transport-cc feedback, from the chunks and deltas werift 0.24 parses. Its own
 * `packetResults` is not usable: it skips status-vector chunks (which Chromium sends whenever losses and
 * arrivals alternate), restarts every run-length chunk at the base sequence number, and so pairs deltas with
 * the wrong packets.
 */
export function twccResults(feedback: TransportWideCC): TwccResult[] {
  const statuses: number[] = [];
  for (const chunk of feedback.packetChunks) {
    if (chunk instanceof RunLengthChunk)
      for (let i = 0; i < chunk.runLength && statuses.length < feedback.packetStatusCount; i++) statuses.push(chunk.packetStatus);
    else for (const symbol of chunk.symbolList) if (statuses.length < feedback.packetStatusCount) statuses.push(symbol);
  }
  const results: TwccResult[] = [];
  // The reference time counts 64 ms units; each delta (in µs) is from the previous received packet.
  let arrivedAtUs = feedback.referenceTime * 64_000;
  let delta = 0;
  for (let i = 0; i < statuses.length; i++) {
    const seq = (feedback.baseSequenceNumber + i) & 0xffff;
    if (statuses[i] !== RECEIVED_SMALL_DELTA && statuses[i] !== RECEIVED_LARGE_DELTA) {
      results.push({ seq, arrivedAtMs: undefined });
      continue;
    }
    const recv = feedback.recvDeltas[delta++];
    // A truncated packet: stop rather than pair what follows with the wrong deltas.
    if (!recv || typeof recv.delta !== "number") break;
    arrivedAtUs += recv.delta;
    results.push({ seq, arrivedAtMs: arrivedAtUs / 1000 });
  }
  return results;
}
