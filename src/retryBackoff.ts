/**
 * The wait before retry number `attempts` (1 = the first retry): `firstMs` doubling per attempt up to
 * `maxMs`, each ±20 %, so that a receiver or a storage service coming back is not hit by every waiting
 * retry (of this node and the others) at the same instant.
 */
export function jitteredBackoff(attempts: number, firstMs: number, maxMs: number): number {
  const base = Math.min(maxMs, firstMs * 2 ** Math.max(0, attempts - 1));
  return base * (0.8 + Math.random() * 0.4);
}
