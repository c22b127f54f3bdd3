/** The quietest level RFC 6464 can express: -127 dBov, which stands for digital silence. */
export const SILENCE_DBOV = -127;

/**
 * RMS level of 16-bit samples in dBov (0 is a full-scale square wave; RFC 6464's scale, negated). One pass,
 * no allocation: it runs for every input on every 20 ms audio tick.
 */
export function levelDbov(samples: Int16Array): number {
  if (samples.length === 0) return SILENCE_DBOV;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  if (sum === 0) return SILENCE_DBOV;
  const rms = Math.sqrt(sum / samples.length) / 32768;
  return Math.max(SILENCE_DBOV, 20 * Math.log10(rms));
}

/** An RFC 6464 header-extension level (0-127, the magnitude of dBov) on the same scale as levelDbov. */
export function dbovFromHeader(level: number): number {
  return -Math.min(127, Math.max(0, level));
}
