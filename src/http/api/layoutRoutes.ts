import type { Router } from "express";
import { z } from "zod";
import { layoutNames, type ConferenceRoom, type LayoutChoice } from "../../rooms/conferenceRoom.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { parseBody, roomOr404 } from "./validate.js";

const layoutBody = z
  .object({
    layout: z.enum(layoutNames),
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
    const room = mcuRoomOr409(roomOr404(deps.rooms, req.params.room));
    res.json(room.layoutChoice);
  });

  router.put("/rooms/:room/layout", (req, res) => {
    const room = mcuRoomOr409(roomOr404(deps.rooms, req.params.room));
    const choice: LayoutChoice = parseBody(layoutBody, req.body);
    if (choice.pin !== undefined) {
      const member = room.list().find((m) => m.id === choice.pin);
      if (member && member.role !== "sender") throw new ApiError(400, "not-a-sender", `participant "${member.id}" (${member.name}) is a viewer: only senders have a tile to pin`);
    }
    // An unknown pin (unknown-participant) or a room that has no composite (wrong-mode): apiRouter answers by its code.
    room.setLayout(choice);
    res.json(room.layoutChoice);
  });
}

/** Only an MCU room has a composite: anything else is a 409 that says so. */
function mcuRoomOr409(room: ConferenceRoom): ConferenceRoom {
  if (room.mode !== "mcu") throw new ApiError(409, "wrong-mode", `room "${room.name}" is a ${room.mode} room: layouts apply to mcu rooms, which send one composite`);
  return room;
}
