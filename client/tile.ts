// `tile` messages: encode the camera at the size the server draws it, at the bitrate it asks for.

import type { TileMessage } from "../protocol/messages.js";
import { CAPTURE } from "./media.js";

export interface AppliedTile {
  width: number;
  height: number;
  maxBitrate: number;
  scaleResolutionDownBy: number;
  captureWidth: number;
  captureHeight: number;
}

/** max(1, min(captureWidth / width, captureHeight / height)), per docs/protocol.md. */
export function scaleDownFor(capture: { width: number; height: number }, tile: { width: number; height: number }): number {
  return Math.max(1, Math.min(capture.width / tile.width, capture.height / tile.height));
}

/**
 * Applies tiles to the video sender one at a time (setParameters must not overlap) and only the
 * newest one when several arrive while one is being applied. A tile that arrives before the sender
 * has encodings (before negotiation) is kept and applied by retry().
 */
export class TileApplier {
  private latest: TileMessage | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly sender: RTCRtpSender,
    private readonly onApplied: (tile: AppliedTile) => void,
  ) {}

  apply(tile: TileMessage): void {
    this.latest = tile;
    this.run();
  }

  /** Call after negotiation; applies a tile that could not be applied yet. */
  retry(): void {
    if (this.latest) this.run();
  }

  private run(): void {
    if (this.running) return;
    this.running = (async () => {
      while (this.latest) {
        const tile = this.latest;
        this.latest = null;
        const done = await this.applyOne(tile);
        if (!done) {
          // Keep it for retry() unless a newer one arrived meanwhile.
          this.latest ??= tile;
          break;
        }
      }
    })().finally(() => {
      this.running = null;
    });
  }

  private async applyOne(tile: TileMessage): Promise<boolean> {
    const track = this.sender.track;
    if (!track) return false;
    const settings = track.getSettings();
    const captureWidth = settings.width ?? CAPTURE.width;
    const captureHeight = settings.height ?? CAPTURE.height;
    const scaleResolutionDownBy = scaleDownFor({ width: captureWidth, height: captureHeight }, tile);
    const parameters = this.sender.getParameters();
    const encoding = parameters.encodings?.[0];
    if (!encoding) return false;
    encoding.scaleResolutionDownBy = scaleResolutionDownBy;
    encoding.maxBitrate = Math.round(tile.maxBitrate);
    try {
      await this.sender.setParameters(parameters);
    } catch (error) {
      console.warn("tessera: could not apply tile parameters", error);
      return false;
    }
    this.onApplied({
      width: tile.width,
      height: tile.height,
      maxBitrate: encoding.maxBitrate,
      scaleResolutionDownBy,
      captureWidth,
      captureHeight,
    });
    return true;
  }
}
