import type { Rect, Size } from "../mixer/layout/gridLayout.js";
import { CLIP_HEIGHT, CLIP_WIDTH, cellCentres, decodeCells } from "./barcodeClip.js";

/** Where one sender's picture sits in a decoded picture, in that picture's own coordinates. */
export interface Region {
  readonly rect: Rect;
  /** The size `rect` is measured against (the MCU canvas, or the SFU stream itself). */
  readonly canvas: Size;
  /** How the clip was fitted into `rect`: `cover` (a camera's tile: cropped equally from both sides), `contain` (a shared screen: whole). */
  readonly fit?: "cover" | "contain";
}

/**
 * Glass-to-glass latency from decoded pictures: reads each region's block code and, the first time a
 * sender's frame shows, takes the time since that sender sent it. A frame the compositor repeats (its
 * sender is slower than the output clock) is counted once, at its first appearance.
 */
export class LatencyProbe {
  readonly samples: number[] = [];
  /** Regions whose code did not read (a name card, a frame mid-transition, a damaged picture). */
  unreadable = 0;
  private readonly lastFrame = new Map<number, number>();
  private readonly centres = cellCentres();

  constructor(private readonly sentAt: (sender: number, frame: number) => number | undefined) {}

  /** One decoded RGB picture of `probe` size, arrived at `at`, with the regions to read in it. */
  read(rgb: Buffer, probe: Size, regions: readonly Region[], at: number): void {
    for (const region of regions) {
      const code = this.readRegion(rgb, probe, region);
      if (!code) {
        this.unreadable++;
        continue;
      }
      if (this.lastFrame.get(code.sender) === code.frame) continue;
      this.lastFrame.set(code.sender, code.frame);
      const sent = this.sentAt(code.sender, code.frame);
      if (sent !== undefined && sent <= at) this.samples.push(at - sent);
    }
  }

  private readRegion(rgb: Buffer, probe: Size, region: Region): { sender: number; frame: number } | undefined {
    return readCode(rgb, probe, region, this.centres);
  }
}

/** The block code (sender, frame) drawn in `region` of a decoded RGB picture of `probe` size; undefined when it does not read. */
export function readCode(
  rgb: Buffer,
  probe: Size,
  { rect, canvas, fit = "cover" }: Region,
  centres = cellCentres(),
): { sender: number; frame: number } | undefined {
  const scale = (fit === "cover" ? Math.max : Math.min)(rect.width / CLIP_WIDTH, rect.height / CLIP_HEIGHT);
  const toProbeX = probe.width / canvas.width;
  const toProbeY = probe.height / canvas.height;
  const bright = centres.map(({ x, y }) => {
    const px = Math.round((rect.x + rect.width / 2 + (x - CLIP_WIDTH / 2) * scale) * toProbeX);
    const py = Math.round((rect.y + rect.height / 2 + (y - CLIP_HEIGHT / 2) * scale) * toProbeY);
    return luma(rgb, probe.width, px, py) > 128;
  });
  return decodeCells(bright);
}

function luma(rgb: Buffer, width: number, x: number, y: number): number {
  let sum = 0;
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const i = ((y + dy) * width + (x + dx)) * 3;
      sum += 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
    }
  return sum / 9;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
