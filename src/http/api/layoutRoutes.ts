import type { Router } from "express";
import { layoutChoiceSchema, type LayoutChoice } from "../../../protocol/layoutDefinition.js";
import { BUILTIN_LAYOUTS } from "../../../mixer/layout/builtinLayouts.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { capability } from "../../rooms/capabilities.js";
import { NotASenderError } from "../../rooms/errors.js";
import { parseBody, roomOr404 } from "./validate.js";

/**
 * GET and PUT /api/rooms/:room/layout: how an MCU room's composite is arranged (a built-in by name, or
 * `custom` with a definition, checked by protocol/layoutDefinition.ts); GET /api/layouts: the built-ins'
 * definitions, a starting point for a custom one.
 */
export function layoutRoutes(router: Router, deps: ApiDeps): void {
  router.get("/layouts", (_req, res) => {
    res.json(BUILTIN_LAYOUTS);
  });

  router.get("/rooms/:room/layout", (req, res) => {
    res.json(capability(roomOr404(deps.rooms, req.params.room), "layout").layoutChoice);
  });

  router.put("/rooms/:room/layout", (req, res) => {
    const layout = capability(roomOr404(deps.rooms, req.params.room), "layout");
    const choice: LayoutChoice = parseBody(layoutChoiceSchema, req.body);
    try {
      layout.setLayout(choice);
    } catch (err) {
      // Who may be pinned is the room's rule; an unknown pin (unknown-participant) apiRouter answers by its code.
      if (err instanceof NotASenderError) throw new ApiError(400, err.code, err.message);
      throw err;
    }
    res.json(layout.layoutChoice);
  });
}
