import { gridLayout, type Rect, type Size } from "./gridLayout.js";
import { focusLayout } from "./speakerLayout.js";

export const layoutKinds = ["grid", "speaker", "pin"] as const;
export type LayoutKind = (typeof layoutKinds)[number];

/** What the room asked for; `pin` names the participant the `pin` layout draws large. */
export interface LayoutSpec {
  readonly layout: LayoutKind;
  readonly pin?: string;
}

/** Where each participant is drawn, and which arrangement was really used (see computeLayout). */
export interface ComputedLayout {
  /** Tile rectangles by participant id, in participant order for the grid, the large tile first otherwise. */
  readonly tiles: Map<string, Rect>;
  readonly layout: LayoutKind;
  /** The participant drawn large (speaker and pin layouts). */
  readonly focus: string | undefined;
}

/**
 * The composite's tiles as a pure function of the choice, who is present (in join order) and who is
 * speaking.
 * - `grid`: equal tiles in join order.
 * - `speaker`: the active speaker large, everyone else in the strip. Before anyone has spoken (or after
 *   the speaker left and before anyone else speaks) the first joiner is drawn large, so the arrangement
 *   keeps its shape rather than flipping to a grid and back.
 * - `pin`: the pinned participant large. If they are not present (they left) it is the speaker layout.
 */
export function computeLayout(spec: LayoutSpec, participants: readonly string[], activeSpeaker: string | undefined, canvas: Size): ComputedLayout {
  if (participants.length === 0) return { tiles: new Map(), layout: spec.layout, focus: undefined };
  if (spec.layout === "grid") {
    const rects = gridLayout(participants.length, canvas);
    return { tiles: new Map(participants.map((id, i) => [id, rects[i]])), layout: "grid", focus: undefined };
  }
  const pinned = spec.layout === "pin" && spec.pin !== undefined && participants.includes(spec.pin) ? spec.pin : undefined;
  const speaker = activeSpeaker !== undefined && participants.includes(activeSpeaker) ? activeSpeaker : undefined;
  const focus = pinned ?? speaker ?? participants[0];
  const tiles = focusLayout(
    focus,
    participants.filter((id) => id !== focus),
    canvas,
  );
  return { tiles, layout: pinned ? "pin" : "speaker", focus };
}

/** True when both put the same participants in the same rectangles (order aside). */
export function sameTiles(a: ReadonlyMap<string, Rect>, b: ReadonlyMap<string, Rect>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, r] of a) {
    const s = b.get(id);
    if (!s || s.x !== r.x || s.y !== r.y || s.width !== r.width || s.height !== r.height) return false;
  }
  return true;
}
