// Layouts as data (docs/layouts.md): regions of the composite in relative coordinates, each filled with one
// kind of source. The built-ins (mixer/layout/builtinLayouts.ts) are written in this format, and a custom one
// comes in through the control API, checked by this schema. Shared so a page could draw one too.

import { MAX_ID_LENGTH } from "./limits.js";
import * as z from "./zod.js";

/**
 * What a region is filled with:
 * - `camera`: the next participant's camera not drawn elsewhere, in join order (one tile);
 * - `speaker`: the active speaker's camera (before anyone speaks, the first joiner's);
 * - `pinned`: the pinned participant's camera (the speaker's when nobody is pinned);
 * - `participant`: one named participant's camera (empty while they are absent);
 * - `screen`: the shared screen (empty while nobody shares);
 * - `others`: every camera not drawn elsewhere, arranged in the region (`arrange`).
 */
export const LAYOUT_SOURCES = ["camera", "speaker", "pinned", "participant", "screen", "others"] as const;
export type LayoutSource = (typeof LAYOUT_SOURCES)[number];

/** How an `others` region shares its space: a grid, one row, or one column of 16:9 tiles. */
export const LAYOUT_ARRANGEMENTS = ["grid", "row", "column"] as const;
export type LayoutArrangement = (typeof LAYOUT_ARRANGEMENTS)[number];

/** The most regions a layout may have: six participants and a screen, with room for empty ones. */
export const MAX_LAYOUT_REGIONS = 12;

const fraction = () => z.number().check(z.minimum(0), z.maximum(1));
const extent = () => z.number().check(z.positive(), z.maximum(1));

export const layoutRegionSchema = z
  .strictObject({
    /** Left edge, as a fraction of the canvas's width (0 left, 1 right). */
    x: fraction(),
    /** Top edge, as a fraction of the canvas's height. */
    y: fraction(),
    width: extent(),
    height: extent(),
    source: z.enum(LAYOUT_SOURCES),
    /** With `participant` only: whose camera. */
    participant: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH))),
    /** With `others` only; `grid` when absent. */
    arrange: z.optional(z.enum(LAYOUT_ARRANGEMENTS)),
    /** Drawing order: higher is drawn later, over lower ones. Regions of one z may not overlap. Default 0. */
    z: z.optional(z.int().check(z.minimum(0), z.maximum(9))),
    /** Corner rounding, as a fraction of the tile's shorter side (0 square, 0.5 a pill). Default 0. */
    radius: z.optional(z.number().check(z.minimum(0), z.maximum(0.5))),
  })
  .check(
    z.refine((r) => r.x + r.width <= 1 + 1e-9, { message: "reaches past the right edge (x + width > 1)", path: ["width"] }),
    z.refine((r) => r.y + r.height <= 1 + 1e-9, { message: "reaches past the bottom edge (y + height > 1)", path: ["height"] }),
    z.refine((r) => (r.source === "participant") === (r.participant !== undefined), {
      message: '"participant" names whose camera a region of source "participant" shows, and only such a region',
      path: ["participant"],
    }),
    z.refine((r) => r.arrange === undefined || r.source === "others", {
      message: '"arrange" only applies to a region of source "others"',
      path: ["arrange"],
    }),
  );
export type LayoutRegion = z.infer<typeof layoutRegionSchema>;

const regionsSchema = z.array(layoutRegionSchema).check(z.minLength(1), z.maxLength(MAX_LAYOUT_REGIONS));

export const layoutDefinitionSchema = z
  .strictObject({
    /** For logs and the API's answers. */
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
    /** The regions on a landscape canvas. */
    regions: regionsSchema,
    /**
     * The same regions, placed for an upright (portrait) canvas: as many, with the same sources in the same
     * order. Absent: `regions` are used on both shapes.
     */
    portrait: z.optional(regionsSchema),
    /** A lone tile fills the canvas, whatever region it is in (default true): one person needs no strip. */
    fillWhenAlone: z.optional(z.boolean()),
  })
  .check(
    z.superRefine((def, ctx) => {
      for (const [key, regions] of [
        ["regions", def.regions],
        ["portrait", def.portrait ?? []],
      ] as const) {
        if (regions.filter((r) => r.source === "others").length > 1)
          ctx.issues.push({ code: "custom", input: def, path: [key], message: 'at most one region may be "others"' });
        if (regions.filter((r) => r.source === "screen").length > 1)
          ctx.issues.push({ code: "custom", input: def, path: [key], message: 'at most one region may be "screen"' });
        const clash = overlapping(regions);
        if (clash)
          ctx.issues.push({
            code: "custom",
            input: def,
            path: [key],
            message: `regions ${clash[0]} and ${clash[1]} overlap at the same z: give one a higher z to draw it over the other`,
          });
      }
      if (def.portrait) {
        const same =
          def.portrait.length === def.regions.length &&
          def.portrait.every((r, i) => r.source === def.regions[i].source && r.participant === def.regions[i].participant);
        if (!same)
          ctx.issues.push({
            code: "custom",
            input: def,
            path: ["portrait"],
            message: "portrait must list the same regions (sources, in the same order) as regions, only placed differently",
          });
      }
    }),
  );
export type LayoutDefinition = z.infer<typeof layoutDefinitionSchema>;

/** The first two regions of one z that overlap, by index; undefined when none do. */
function overlapping(regions: readonly LayoutRegion[]): [number, number] | undefined {
  const eps = 1e-9;
  for (let i = 0; i < regions.length; i++)
    for (let j = i + 1; j < regions.length; j++) {
      const a = regions[i];
      const b = regions[j];
      if ((a.z ?? 0) !== (b.z ?? 0)) continue;
      if (a.x + eps < b.x + b.width && b.x + eps < a.x + a.width && a.y + eps < b.y + b.height && b.y + eps < a.y + a.height) return [i, j];
    }
  return undefined;
}

/** The built-in layouts by name; `custom` is a definition given through the control API. */
export const LAYOUT_NAMES = ["grid", "speaker", "pin", "presentation", "interview", "custom"] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];

/** What a room is asked to draw: a built-in by name (`pin` with whom), or `custom` with its definition. */
export const layoutChoiceSchema = z
  .strictObject({
    layout: z.enum(LAYOUT_NAMES),
    pin: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH))),
    definition: z.optional(layoutDefinitionSchema),
  })
  .check(
    z.refine((c) => c.layout !== "pin" || c.pin !== undefined, {
      message: 'the "pin" layout needs "pin": the id of the participant to draw large',
      path: ["pin"],
    }),
    z.refine((c) => c.layout === "pin" || c.pin === undefined, { message: '"pin" only applies to the "pin" layout', path: ["pin"] }),
    z.refine((c) => c.layout !== "custom" || c.definition !== undefined, {
      message: 'the "custom" layout needs "definition": its regions',
      path: ["definition"],
    }),
    z.refine((c) => c.layout === "custom" || c.definition === undefined, {
      message: '"definition" only applies to the "custom" layout',
      path: ["definition"],
    }),
  );
export type LayoutChoice = z.infer<typeof layoutChoiceSchema>;
