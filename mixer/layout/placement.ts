import type { LayoutDefinition, LayoutRegion, LayoutSource } from "../../protocol/layoutDefinition.js";
import { arrangeCells, regionRect } from "./arrange.js";
import { gridShape, type Rect, type Size } from "./gridLayout.js";

/** What there is to draw, and whom the sources `speaker` and `pinned` name. */
export interface LayoutSources {
  /** Cameras present, in join order. */
  readonly cameras: readonly string[];
  /** The shared screen's tile id, while a screen is shared. */
  readonly screen?: string;
  /** Who is speaking (undefined: nobody yet, or they left). */
  readonly speaker?: string;
  /** Whom a `pinned` region shows. */
  readonly pin?: string;
}

/**
 * Who is in each region of one layout: one id (or null) for a single-tile region, the slots of an `others`
 * region (null: a hole, left where someone left so that nobody else moves). Kept between re-layouts: it
 * is what makes placement stable. Independent of the canvas, so every rendition draws the same people in
 * the same places.
 */
export interface Assignment {
  readonly definition: LayoutDefinition;
  readonly regions: readonly (readonly (string | null)[])[];
}

/** The regions filled first: a named participant or the screen before `pinned`, before `speaker`, before the rest. */
const RESOLUTION_ORDER: readonly LayoutSource[] = ["participant", "screen", "pinned", "speaker", "camera", "others"];

/**
 * Fills the layout's regions from the sources. With `previous` (the last assignment of the same
 * definition), whoever is still present keeps their region and their slot in it: a `camera` region keeps
 * its holder, an `others` region keeps its slots (a leaver leaves a hole, a joiner fills the first hole)
 * as long as the region keeps its shape (a grid the same rows and columns, a row or column at least half
 * full); otherwise it closes up, in the order it had.
 */
export function assignRegions(definition: LayoutDefinition, sources: LayoutSources, previous?: Assignment): Assignment {
  const regions = definition.regions;
  const prev = previous?.definition === definition ? previous.regions : undefined;
  const present = new Set(sources.cameras);
  const used = new Set<string>();
  const take = (id: string | null | undefined): string | undefined => {
    if (id === undefined || id === null || !present.has(id) || used.has(id)) return undefined;
    used.add(id);
    return id;
  };
  const firstFree = () => sources.cameras.find((id) => !used.has(id));
  const out: (string | null)[][] = regions.map(() => []);
  const indices = (source: LayoutSource) => regions.flatMap((r, i) => (r.source === source ? [i] : []));
  for (const source of RESOLUTION_ORDER) {
    const mine = indices(source);
    if (source === "camera") {
      // Holders stay first, then vacancies are filled in join order.
      for (const i of mine) out[i] = [take(prev?.[i]?.[0]) ?? null];
      for (const i of mine) if (out[i][0] === null) out[i] = [take(firstFree()) ?? null];
      continue;
    }
    for (const i of mine) out[i] = fill(regions[i], i);
  }
  return { definition, regions: out };

  function fill(region: LayoutRegion, i: number): (string | null)[] {
    switch (region.source) {
      case "participant":
        return [take(region.participant) ?? null];
      case "screen":
        return [sources.screen ?? null];
      case "pinned":
        return [take(sources.pin) ?? take(sources.speaker) ?? take(firstFree()) ?? null];
      case "speaker":
        return [take(sources.speaker) ?? take(firstFree()) ?? null];
      case "camera":
        return [take(firstFree()) ?? null];
      case "others": {
        const remaining = sources.cameras.filter((id) => !used.has(id));
        for (const id of remaining) used.add(id);
        return keepSlots(prev?.[i], remaining, region.arrange ?? "grid");
      }
    }
  }
}

function keepSlots(
  previous: readonly (string | null)[] | undefined,
  remaining: readonly string[],
  arrange: "grid" | "row" | "column",
): (string | null)[] {
  if (!previous) return [...remaining];
  const here = new Set(remaining);
  const slots = previous.map((id) => (id !== null && here.has(id) ? id : null));
  for (const id of remaining) {
    if (slots.includes(id)) continue;
    const hole = slots.indexOf(null);
    if (hole >= 0) slots[hole] = id;
    else slots.push(id);
  }
  const count = remaining.length;
  if (count === 0) return [];
  const keep = arrange === "grid" ? sameShape(gridShape(count), gridShape(slots.length)) : count * 2 >= slots.length;
  return keep ? slots : slots.filter((id) => id !== null);
}

function sameShape(a: { columns: number; rows: number }, b: { columns: number; rows: number }): boolean {
  return a.columns === b.columns && a.rows === b.rows;
}

/** Tiles of one canvas: rectangles in drawing order (lowest z first), and corner radii in pixels where rounded. */
export interface PlacedTiles {
  readonly tiles: Map<string, Rect>;
  readonly rounding: Map<string, number>;
}

/**
 * The assignment drawn on a canvas: the definition's `portrait` regions on an upright canvas when it has
 * them. A lone tile fills the canvas unless the definition says `fillWhenAlone: false`.
 */
export function placeTiles(assignment: Assignment, canvas: Size): PlacedTiles {
  const { definition } = assignment;
  const regions = canvas.height > canvas.width && definition.portrait ? definition.portrait : definition.regions;
  const placed: { id: string; rect: Rect; z: number; radius: number }[] = [];
  regions.forEach((region, i) => {
    const ids = assignment.regions[i] ?? [];
    const area = regionRect(region, canvas);
    const cells = region.source === "others" ? arrangeCells(region.arrange ?? "grid", ids.length, area) : [area];
    ids.forEach((id, k) => {
      if (id !== null && cells[k]) placed.push({ id, rect: cells[k], z: region.z ?? 0, radius: region.radius ?? 0 });
    });
  });
  if (placed.length === 1 && (definition.fillWhenAlone ?? true))
    placed[0] = { ...placed[0], rect: { x: 0, y: 0, width: canvas.width, height: canvas.height }, radius: 0 };
  // A stable sort: within one z, region order.
  placed.sort((a, b) => a.z - b.z);
  const tiles = new Map<string, Rect>();
  const rounding = new Map<string, number>();
  for (const p of placed) {
    tiles.set(p.id, p.rect);
    const px = Math.round(p.radius * Math.min(p.rect.width, p.rect.height));
    if (px > 0) rounding.set(p.id, px);
  }
  return { tiles, rounding };
}
