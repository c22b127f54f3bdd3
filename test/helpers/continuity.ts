/**
 * How many sequence numbers are missing between the first and the last of `seqs` (16-bit, wrapping): the
 * packets a receiver never got. Duplicates and reordering do not count.
 */
export function missingPackets(seqs: readonly number[]): number {
  if (seqs.length === 0) return 0;
  const seen = new Set(seqs);
  let lost = 0;
  let s = seqs[0];
  const last = seqs[seqs.length - 1];
  for (let i = 0; i < 70_000 && s !== last; i++) {
    s = (s + 1) & 0xffff;
    if (!seen.has(s)) lost++;
  }
  return lost;
}

/** The longest time between two consecutive arrivals (ms). */
export function maxGap(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}
