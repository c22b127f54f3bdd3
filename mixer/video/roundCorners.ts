import type { Rect } from "../layout/gridLayout.js";
import { fillRect, type I420Frame, type Yuv } from "./i420.js";

/**
 * Cuts the four corners of a drawn tile to quarter circles of `radius` pixels by painting `background` over
 * what lies outside them. Two rows at a time, on even columns: one chroma sample covers 2x2 pixels, so a
 * finer edge would tint pixels it never painted.
 */
export function roundCorners(frame: I420Frame, rect: Rect, radius: number, background: Yuv): void {
  const r = Math.min(radius, rect.width / 2, rect.height / 2);
  if (r < 2) return;
  for (let dy = 0; dy < r; dy += 2) {
    // The widest cut of the two rows is the upper one's (further from the arc's centre).
    const fromCentre = r - dy - 0.5;
    const cut = Math.ceil((r - Math.sqrt(Math.max(0, r * r - fromCentre * fromCentre))) / 2) * 2;
    if (cut <= 0) continue;
    const top = rect.y + dy;
    const bottom = rect.y + rect.height - dy - 2;
    for (const row of [top, bottom]) {
      fillRect(frame, rect.x, row, cut, 2, background);
      fillRect(frame, rect.x + rect.width - cut, row, cut, 2, background);
    }
  }
}
