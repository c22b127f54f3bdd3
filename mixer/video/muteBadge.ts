import type { SKRSContext2D } from "@napi-rs/canvas";

/** Red (Google Meet's and Jitsi's muted red): reads as "muted" on any picture, and survives VP8's chroma. */
export const MUTE_BADGE_RGB = "#d93025";

/**
 * A microphone-off icon, drawn as paths (no font needed): a red disc of `size` px with its top-left
 * corner at (x, y), a white microphone in it, struck through. Drawn into a label once, when the label is
 * rendered (labelRenderer.ts), never per frame.
 */
export function drawMuteBadge(ctx: SKRSContext2D, x: number, y: number, size: number): void {
  const r = size / 2;
  const cx = x + r;
  const cy = y + r;
  ctx.save();
  ctx.fillStyle = MUTE_BADGE_RGB;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fill();

  const u = size / 24;
  ctx.fillStyle = "#ffffff";
  ctx.strokeStyle = "#ffffff";
  ctx.lineCap = "round";
  // Capsule: the microphone's head.
  const w = 7 * u;
  const top = cy - 8 * u;
  const bottom = cy + 2 * u;
  ctx.beginPath();
  ctx.moveTo(cx - w / 2, top + w / 2);
  ctx.arc(cx, top + w / 2, w / 2, Math.PI, 0);
  ctx.lineTo(cx + w / 2, bottom - w / 2);
  ctx.arc(cx, bottom - w / 2, w / 2, 0, Math.PI);
  ctx.closePath();
  ctx.fill();
  // Cradle and stand.
  ctx.lineWidth = 2.2 * u;
  ctx.beginPath();
  ctx.arc(cx, cy - 1 * u, 6.5 * u, 0.1 * Math.PI, 0.9 * Math.PI);
  ctx.moveTo(cx, cy + 5.5 * u);
  ctx.lineTo(cx, cy + 8.5 * u);
  ctx.stroke();
  // The strike, with a thin red edge on its upper side only, so it stays one line at 30 px after VP8.
  ctx.lineWidth = 2.4 * u;
  ctx.strokeStyle = MUTE_BADGE_RGB;
  ctx.beginPath();
  ctx.moveTo(cx - 7 * u + 1.6 * u, cy - 8 * u - 1.4 * u);
  ctx.lineTo(cx + 7 * u + 1.6 * u, cy + 8 * u - 1.4 * u);
  ctx.stroke();
  ctx.strokeStyle = "#ffffff";
  ctx.beginPath();
  ctx.moveTo(cx - 7 * u, cy - 8 * u);
  ctx.lineTo(cx + 7 * u, cy + 8 * u);
  ctx.stroke();
  ctx.restore();
}
