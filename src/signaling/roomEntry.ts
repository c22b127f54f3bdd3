import type { Cluster, NodeRef } from "../cluster/cluster.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { joinAccess } from "../access/joinAccess.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";
import type { RoomCapabilities } from "../rooms/capabilities.js";
import { capability } from "../rooms/capabilities.js";
import type { ConferenceRoom } from "../rooms/conferenceRoom.js";
import type { Member, ParticipantChannel } from "../rooms/participant.js";
import type { RoomRegistry } from "../rooms/roomRegistry.js";
import type { ErrorCode } from "../../protocol/errorCodes.js";
import type { JoinMessage, Role } from "../../protocol/messages.js";
import { protocolCodeOf } from "../../protocol/protocolError.js";

/** What every front of a room member (the page's socket, a WHIP or WHEP session) needs to let someone in. */
export interface RoomEntryDeps {
  readonly rooms: RoomRegistry;
  readonly config: Config;
  readonly log: Logger;
  /** Where a room that is not open here lives, or is placed (SingleNode: always here). */
  readonly cluster: Cluster;
  readonly metrics?: MediaMetrics;
}

export interface EntryRequest {
  /** The join as validated by joinSchema: room, name, role, mode, resume key, token. */
  readonly join: JoinMessage;
  /** Who the room talks to about this participant. */
  readonly channel: ParticipantChannel;
  /** True once the front has gone (its socket closed) while the entry was being decided: nobody is admitted. */
  readonly abandoned: () => boolean;
  /**
   * The one role this front carries (WHIP: sender, WHEP: viewer): a join token for the other role is
   * refused. Undefined: the token's (or the join's) role, whichever it is.
   */
  readonly onlyRole?: Role;
  /** What the room must be able to do for this front (WHIP: take an offer; WHEP: mix); else `wrong-mode`. */
  readonly requires?: keyof RoomCapabilities;
}

export type RoomEntry =
  | { readonly kind: "joined"; readonly room: ConferenceRoom; readonly participant: Member; readonly mayRecord: boolean }
  /** The room lives on (or was placed on) another node: the client goes there. */
  | { readonly kind: "elsewhere"; readonly node: NodeRef; readonly room: string }
  | { readonly kind: "refused"; readonly code: ErrorCode; readonly message: string }
  /** The front went away meanwhile; nothing was admitted. */
  | { readonly kind: "abandoned" };

/**
 * The room's join rules, the same for every front. The token (when the server needs one) decides room, name
 * and role. A room open here is joined here; any other is placed by the cluster first. A join with a resume
 * key the room knows comes back as that participant (same id, name, role and tile); otherwise it is an
 * ordinary admission, which replaces an older session of the same identity (the token's `sub`): the newer
 * front is the one the person is using.
 */
export async function enterRoom(deps: RoomEntryDeps, request: EntryRequest): Promise<RoomEntry> {
  const { rooms, config, log, cluster } = deps;
  const { join, channel } = request;
  const access = await joinAccess(config.joinTokenSecret, join);
  if (!access.ok) {
    // Once per refusal, with the reason and never the token (a log is no place for a credential).
    log.warn("join refused: join token", { reason: access.reason, room: join.room });
    deps.metrics?.joinRefused(access.reason);
    return refused("unauthorized", access.message);
  }
  if (request.onlyRole !== undefined && access.role !== request.onlyRole) {
    log.warn("join refused: join token", { reason: "wrong-role", room: join.room });
    deps.metrics?.joinRefused("wrong-role");
    return refused("unauthorized", `the join token is for a ${access.role}; this endpoint needs a ${request.onlyRole} token`);
  }
  if (request.abandoned()) return { kind: "abandoned" };
  const roomName = access.room;
  const open = rooms.get(roomName);
  if (!open || open.isClosing) {
    const placement = await cluster.place(roomName);
    if (request.abandoned()) return { kind: "abandoned" };
    if (placement.kind === "elsewhere") return { kind: "elsewhere", node: placement.node, room: roomName };
    if (placement.kind === "unavailable") {
      log.warn("join refused", { reason: "node-unavailable", room: roomName });
      return refused("node-unavailable", `this node cannot open room "${roomName}" now: ${placement.reason}; try again in a moment`);
    }
  }
  const serverFull = (): RoomEntry => {
    log.warn("join refused", { reason: "server-full", room: roomName });
    return refused("server-full", `this server already holds its maximum of ${config.maxRooms} rooms; try again later`);
  };
  let room = rooms.getOrCreate(roomName, join.mode);
  if (!room) return serverFull();
  if (request.requires !== undefined) {
    const unfit = await missingCapability(room, request.requires);
    if (unfit) {
      log.info("join refused", { reason: "wrong-mode", room: roomName });
      return refused("wrong-mode", unfit);
    }
  }
  let admitted = join.resume !== undefined ? room.resume(join.resume, channel) : undefined;
  if (!admitted) {
    const previous = room.list().find((m) => m.identity === access.identity);
    if (previous) {
      log.info("participant replaced by a newer session", { room: roomName, participant: previous.id });
      previous.channel.close("replaced");
      await room.remove(previous.id, "replaced");
      if (request.abandoned()) return { kind: "abandoned" };
      // They were its last participant: the room has closed, and this join opens it again.
      if (room.isClosing) room = rooms.getOrCreate(roomName, join.mode);
      if (!room) return serverFull();
    }
    admitted = room.admit(access.name, access.role, channel, access.identity);
  }
  if (!admitted.ok) {
    log.info("join refused", { reason: admitted.code, room: roomName });
    return refused(admitted.code, admitted.message);
  }
  return { kind: "joined", room, participant: admitted.participant, mayRecord: access.mayRecord };
}

/**
 * The sentence naming what the room lacks, or undefined. A room this entry has just opened for nothing (its
 * mode came from the request or the default) is closed again, so it does not linger without members.
 */
async function missingCapability(room: ConferenceRoom, kind: keyof RoomCapabilities): Promise<string | undefined> {
  try {
    capability(room, kind);
    return undefined;
  } catch (err) {
    if (protocolCodeOf(err) !== "wrong-mode") throw err;
    if (room.list().length === 0) await room.close("no participant");
    return (err as Error).message;
  }
}

function refused(code: ErrorCode, message: string): RoomEntry {
  return { kind: "refused", code, message };
}
