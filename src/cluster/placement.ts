import type { NodeRecord } from "./nodeRegistry.js";

/** Above this share of its allowed CPU a node is chosen only when every node is above it. */
export const CPU_BUSY = 0.9;

/** A node placement may choose, with the rooms just claimed for it that its record does not show yet. */
export interface Candidate {
  readonly record: NodeRecord;
  readonly pendingRooms: number;
}

/**
 * The least-loaded live node that takes rooms and has room for one more, or undefined. Fewest senders
 * first (a sender costs an MCU room a decoder and the most CPU), then fewest rooms, then the lowest share
 * of its CPU, then the id (so every node picks the same one from the same figures). A node past CPU_BUSY
 * goes after all others, whatever its senders: the figures that count most are the ones measured.
 */
export function chooseNode(candidates: readonly Candidate[]): NodeRecord | undefined {
  const open = candidates.filter(
    ({ record, pendingRooms }) => record.acceptingRooms && !record.draining && record.load.rooms + pendingRooms < record.maxRooms,
  );
  const cpu = (c: Candidate) => (c.record.load.cpuAllowed > 0 ? c.record.load.cpuUsed / c.record.load.cpuAllowed : 0);
  const sorted = [...open].sort(
    (a, b) =>
      Number(cpu(a) >= CPU_BUSY) - Number(cpu(b) >= CPU_BUSY) ||
      a.record.load.senders - b.record.load.senders ||
      a.record.load.rooms + a.pendingRooms - (b.record.load.rooms + b.pendingRooms) ||
      cpu(a) - cpu(b) ||
      a.record.id.localeCompare(b.record.id),
  );
  return sorted[0]?.record;
}
