import type { Router } from "express";
import { z } from "zod";
import type { ByeReason } from "../../../protocol/byeReasons.js";
import type { ConferenceRoom } from "../../rooms/conferenceRoom.js";
import type { LinkReport } from "../../peers/linkMonitor.js";
import type { Member } from "../../rooms/participant.js";
import { roomSummary } from "../../rooms/roomSummary.js";
import type { ApiDeps } from "./apiDeps.js";
import { ApiError } from "./apiError.js";
import { param, roomOr404 } from "./validate.js";

/** What a kicked participant's `bye` says, and what the room logs as the reason they left. */
export const KICK_REASON = "kicked" satisfies ByeReason;

const participantIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "participant id must be 1-64 characters of A-Z a-z 0-9 _ -");

/** Rooms as an operator sees them: list, inspect, and remove one participant. */
export function roomRoutes(router: Router, deps: ApiDeps): void {
  router.get("/rooms", async (_req, res) => {
    // In a cluster every room, each with the node that hosts it (the others' as they last published them).
    const self = deps.cluster.health().node;
    const local = deps.rooms
      .all()
      .filter((r) => !r.isClosing)
      .map((r) => (self ? { ...roomSummary(r), node: self } : roomSummary(r)));
    const remote = await deps.cluster.remoteRooms().catch(() => []);
    const names = new Set(local.map((r) => r.name));
    const rooms = [...local, ...remote.filter((r) => !names.has(r.name))].sort((a, b) => a.name.localeCompare(b.name));
    res.json({ rooms });
  });

  router.get("/rooms/:room", (req, res) => {
    const room = roomOr404(deps.rooms, req.params.room);
    const node = deps.cluster.health().node;
    res.json(node ? { ...roomDetail(room), node } : roomDetail(room));
  });

  router.delete("/rooms/:room/participants/:id", async (req, res) => {
    const room = roomOr404(deps.rooms, req.params.room);
    const id = param("participant id", participantIdSchema, req.params.id);
    const member = room.list().find((m) => m.id === id);
    if (!member) throw new ApiError(404, "unknown-participant", `no participant "${id}" in room "${room.name}"`);
    deps.log.info("participant kicked", { room: room.name, participant: id });
    // The channel first: the participant hears why before their socket closes, and their session then
    // has nothing left to remove when the close event arrives.
    member.channel.close(KICK_REASON);
    await room.remove(id, KICK_REASON);
    res.status(204).end();
  });
}

function roomDetail(room: ConferenceRoom) {
  return {
    name: room.name,
    mode: room.mode,
    layout: room.capabilities.layout?.layoutChoice ?? null,
    recording: room.capabilities.recording?.activeRecording ?? null,
    participants: room.list().map((m) => participantDetail(m, room.capabilities.links?.linkOf(m.id))),
  };
}

/** `link`: what the server measures of the link to them (null in a mesh room, or before their connection is up). */
function participantDetail(m: Member, link: LinkReport | undefined) {
  return {
    id: m.id,
    name: m.name,
    role: m.role,
    audioMuted: m.audioMuted,
    videoMuted: m.videoMuted,
    joinedAt: m.joinedAt.toISOString(),
    connected: m.disconnectedAt === undefined,
    link: link ? { ...link, rttMs: link.rttMs ?? null } : null,
  };
}
