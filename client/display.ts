// MCU rooms: what the page tells the server of the box it shows the mix in, so the server never sends more
// pixels than the screen shows and a phone held upright gets an upright composition (docs/protocol.md, `display`).

import type { DisplayMessage } from "../protocol/messages.js";
import { MAX_DISPLAY_CSS_PX, MAX_PIXEL_RATIO } from "../protocol/limits.js";

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

/**
 * A phone held upright (the viewport clearly taller than wide) is laid out for an upright mix; everything
 * else for a 16:9 one.
 */
export function mixOrientation(viewport: Viewport): DisplayMessage["orientation"] {
  return viewport.height > viewport.width * 1.2 ? "portrait" : "landscape";
}

const clampSide = (n: number) => Math.min(MAX_DISPLAY_CSS_PX, Math.max(1, Math.round(n)));

/**
 * The `display` message for a box of `box` CSS pixels on a screen of `pixelRatio`. The box is the stage the
 * mix is drawn in: for an upright layout, the height it may grow to rather than its 16:9 height of the
 * moment (the server sizes the next picture from it, and the stage then takes that picture's shape).
 */
export function displayMessage(box: Viewport, pixelRatio: number, viewport: Viewport): DisplayMessage {
  const ratio = Number.isFinite(pixelRatio) && pixelRatio > 0 ? Math.min(MAX_PIXEL_RATIO, Math.max(0.25, pixelRatio)) : 1;
  return {
    type: "display",
    width: clampSide(box.width),
    height: clampSide(box.height),
    pixelRatio: ratio,
    orientation: mixOrientation(viewport),
  };
}

/** Equal messages need not be sent twice (a resize that changed nothing the server uses). */
export function sameDisplay(a: DisplayMessage | undefined, b: DisplayMessage): boolean {
  return (
    a !== undefined && a.width === b.width && a.height === b.height && a.pixelRatio === b.pixelRatio && a.orientation === b.orientation
  );
}

/** Where the mix is shown, as DisplayWatch measures it. */
export interface MixSurface {
  readonly stage: HTMLElement;
  /** The box the mix may fill now, in CSS pixels (Ui.mixBox). */
  mixBox(): Viewport;
}

/**
 * MCU: tells the server the box the mix is shown in now, and again whenever it changes (resize, rotation, a
 * new pixel ratio), at most every 250 ms, until stop().
 */
export class DisplayWatch {
  private sent: DisplayMessage | undefined;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopWatching: (() => void) | null = null;

  constructor(
    private readonly surface: MixSurface,
    private readonly send: (message: DisplayMessage) => void,
  ) {}

  start(): void {
    this.report();
    const soon = () => {
      this.timer ??= setTimeout(() => this.report(), 250);
    };
    const observer = new ResizeObserver(soon);
    observer.observe(this.surface.stage);
    window.addEventListener("resize", soon);
    window.addEventListener("orientationchange", soon);
    this.stopWatching = () => {
      observer.disconnect();
      window.removeEventListener("resize", soon);
      window.removeEventListener("orientationchange", soon);
    };
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private report(): void {
    this.timer = null;
    const message = displayMessage(this.surface.mixBox(), window.devicePixelRatio, {
      width: window.innerWidth,
      height: window.innerHeight,
    });
    if (sameDisplay(this.sent, message)) return;
    this.sent = message;
    this.send(message);
  }
}
