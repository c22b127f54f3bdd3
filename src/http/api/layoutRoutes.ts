import type { Router } from "express";
import { z } from "zod";
import { layoutKinds, type LayoutSpec } from "../../../mixer/layout/computeLayout.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { capability } from "../../rooms/capabilities.js";
import { parseBody, roomOr404 } from "./validate.js";

const layoutBody = z
  .object({
    layout: z.enum(layoutKinds),
    pin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.layout === "pin" && body.pin === undefined) ctx.addIssue({ code: "custom", path: ["pin"], message: 'the "pin" layout needs "pin": the id of the participant to draw large' });
    if (body.layout !== "pin" && body.pin !== undefined) ctx.addIssue({ code: "custom", path: ["pin"], message: `"pin" only applies to the "pin" layout, not "${body.layout}"` });
  });

/** GET and PUT /api/rooms/:room/layout: how an MCU room's composite is arranged. */
export function layoutRoutes(router: Router, deps: ApiDeps): void {
  router.get("/rooms/:room/layout", (req, res) => {
    res.json(capability(roomOr404(deps.rooms, req.params.room), "layout").layoutChoice);
  });

  router.put("/rooms/:room/layout", (req, res) => {
    const room = roomOr404(deps.rooms, req.params.room);
    const layout = capability(room, "layout");
    const choice: LayoutSpec = parseBody(layoutBody, req.body);
    if (choice.pin !== undefined) {
      const member = room.list().find((m) => m.id === choice.pin);
      if (member && member.role !== "sender") throw new ApiError(400, "not-a-sender", `participant "${member.id}" (${member.name}) is a viewer: only senders have a tile to pin`);
    }
    // An unknown pin (unknown-participant): apiRouter answers by its code.
    layout.setLayout(choice);
    res.json(layout.layoutChoice);
  });
}
