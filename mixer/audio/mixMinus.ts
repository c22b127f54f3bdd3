/** Adds one input's samples into a wide accumulator (no clipping until the very end). */
export function accumulate(total: Int32Array, samples: Int16Array | Int32Array): void {
  for (let i = 0; i < total.length; i++) total[i] += samples[i];
}

/** Everyone minus `own` (undefined: everyone; wide when it is several inputs), clipped to 16 bits: what one listener hears. */
export function mixMinus(total: Int32Array, own: Int16Array | Int32Array | undefined): Int16Array {
  const out = new Int16Array(total.length);
  for (let i = 0; i < total.length; i++) {
    const v = own ? total[i] - own[i] : total[i];
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}
