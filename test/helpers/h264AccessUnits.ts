import { nalUnits } from "../../mixer/rtp/h264Packetizer.js";

/**
 * Access units of an Annex-B stream written with access-unit delimiters (x264's `aud=1`), each with its
 * start codes, and whether it holds an IDR picture.
 */
export function accessUnits(annexB: Buffer): { data: Buffer; isKeyframe: boolean }[] {
  const units: { nals: Buffer[]; isKeyframe: boolean }[] = [];
  for (const nal of nalUnits(annexB)) {
    const type = nal[0] & 0x1f;
    if (type === 9 || units.length === 0) units.push({ nals: [], isKeyframe: false });
    const unit = units[units.length - 1];
    if (type !== 9) unit.nals.push(Buffer.from([0, 0, 0, 1]), nal);
    if (type === 5) unit.isKeyframe = true;
  }
  return units.filter((u) => u.nals.length > 0).map((u) => ({ data: Buffer.concat(u.nals), isKeyframe: u.isKeyframe }));
}
