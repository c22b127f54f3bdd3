import type { LayoutChoice, LayoutDefinition, LayoutName } from "../../protocol/layoutDefinition.js";
import { BUILTIN_LAYOUTS } from "./builtinLayouts.js";
import type { Rect, Size } from "./gridLayout.js";
import { assignRegions, placeTiles, type Assignment, type LayoutSources } from "./placement.js";

export type { LayoutSources, Assignment } from "./placement.js";

/** What the room asked for: a built-in by name (`pin` with whom), or `custom` with its definition. */

/** Where each tile is drawn, and which arrangement was really used (see computeLayout). */
export interface ComputedLayout {
  /** Tile rectangles by tile id (participant id, or the screen's), in drawing order. */
  readonly tiles: Map<string, Rect>;
  /** Corner radii in pixels of the rounded tiles. */
  readonly rounding: Map<string, number>;
  /** The layout drawn: the one asked for, or what it falls back to. */
  readonly layout: LayoutName;
  /**
   * The choice as it stands (see effectiveChoice): what the room reports as its layout. Unlike `layout`, a
   * shared screen's `presentation` is not in it: that lasts only while the screen is shared.
   */
  readonly choice: LayoutChoice;
  /** The participant drawn in a `speaker` or `pinned` region. */
  readonly focus: string | undefined;
  /** Who is where, to pass back as `previous` next time (stable placement). */
  readonly assignment: Assignment;
}

/**
 * The one place a choice falls back: `pin` whose participant is absent (they left; ids are never reused, so
 * for good) is `speaker`; any other choice stands.
 */
export function effectiveChoice(spec: LayoutChoice, cameras: readonly string[]): LayoutChoice {
  if (spec.layout === "pin" && (spec.pin === undefined || !cameras.includes(spec.pin))) return { layout: "speaker" };
  return spec;
}

/**
 * The definition a room's choice draws now:
 * - while a screen is shared, the choice if it has a `screen` region, else `presentation`;
 * - otherwise the effective choice (a departed pin's `speaker`).
 */
export function resolveLayout(
  spec: LayoutChoice,
  sources: Pick<LayoutSources, "cameras" | "screen">,
): { name: LayoutName; definition: LayoutDefinition; choice: LayoutChoice } {
  const choice = effectiveChoice(spec, sources.cameras);
  const chosen =
    choice.layout === "custom" && choice.definition
      ? choice.definition
      : choice.layout === "custom"
        ? BUILTIN_LAYOUTS.grid
        : BUILTIN_LAYOUTS[choice.layout];
  if (sources.screen !== undefined && !chosen.regions.some((r) => r.source === "screen"))
    return { name: "presentation", definition: BUILTIN_LAYOUTS.presentation, choice };
  return { name: choice.layout, definition: chosen, choice };
}

/**
 * The composite's tiles as a function of the choice, what there is to draw (cameras in join order, the
 * screen), who is speaking, and the previous assignment (so nobody moves who need not). `speaker` and
 * `pinned` regions show the speaker (before anyone speaks, the first joiner) and the pinned participant.
 */
export function computeLayout(
  spec: LayoutChoice,
  sources: Omit<LayoutSources, "pin">,
  canvas: Size,
  previous?: Assignment,
): ComputedLayout {
  const { name, definition, choice } = resolveLayout(spec, sources);
  const assignment = assignRegions(definition, { ...sources, pin: choice.pin }, previous);
  const { tiles, rounding } = placeTiles(assignment, canvas);
  const focusIndex = definition.regions.findIndex((r) => r.source === "speaker" || r.source === "pinned");
  const focus = focusIndex >= 0 ? (assignment.regions[focusIndex][0] ?? undefined) : undefined;
  return { tiles, rounding, layout: name, choice, focus, assignment };
}

/** True when both put the same tiles in the same rectangles (order aside). */
export function sameTiles(a: ReadonlyMap<string, Rect>, b: ReadonlyMap<string, Rect>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, r] of a) {
    const s = b.get(id);
    if (!s || s.x !== r.x || s.y !== r.y || s.width !== r.width || s.height !== r.height) return false;
  }
  return true;
}
