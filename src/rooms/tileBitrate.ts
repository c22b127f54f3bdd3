/**
 * The bitrate worth asking a sender for, given the pixels its tile shows: about 2.6 bits per pixel per
 * second (640x480 at ~800 kbit/s, what browsers send for VGA), clamped to a sane range.
 */
export function tileBitrate(width: number, height: number): number {
  const bits = Math.round(width * height * 2.6);
  return Math.min(1_500_000, Math.max(150_000, Math.round(bits / 1000) * 1000));
}
