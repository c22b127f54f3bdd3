import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import { iceServersFor } from "../../access/turnCredentials.js";
import { enterRoom } from "../../signaling/roomEntry.js";
import { WhipSession, type HttpFrontKind } from "../../signaling/whipSession.js";
import { sendApiError } from "../api/apiError.js";
import type { ApiDeps } from "../api/apiDeps.js";
import type { ErrorCode } from "../../../protocol/errorCodes.js";
import { MAX_SDP_CHARS } from "../../../protocol/limits.js";
import { joinSchema, type Role } from "../../../protocol/messages.js";
import { protocolCodeOf } from "../../../protocol/protocolError.js";
import * as z from "../../../protocol/zod.js";
import { iceServerLinks } from "./iceServerLinks.js";
import { parseTrickleFragment } from "./trickleFragment.js";
import { FRONT_ERROR_STATUS } from "./whipStatus.js";

const SDP_TYPE = "application/sdp";
const FRAGMENT_TYPE = "application/trickle-ice-sdpfrag";
const STOPPING = "the server is stopping; try again in a moment (elsewhere in a cluster)";
/** A refused POST that may work later (the node's room limit, a node that cannot place rooms now). */
const RETRY_AFTER_S = 5;

/** What each front is: the role it carries, what the room must do for it, the name it gets when none is given. */
const FRONTS: Record<HttpFrontKind, { role: Role; requires: "negotiation" | "mix"; defaultName: string }> = {
  whip: { role: "sender", requires: "negotiation", defaultName: "WHIP" },
  whep: { role: "viewer", requires: "mix", defaultName: "WHEP" },
};

/**
 * WHIP (RFC 9725) under /whip and WHEP under /whep: POST `/<kind>/<room>` with an SDP offer makes a session
 * (201, the answer, its Location), DELETE on the Location ends it, PATCH trickles candidates. A session is a
 * room member like a page's (src/signaling/whipSession.ts); the join rules are enterRoom's. Open to every
 * origin (CORS `*`): it takes no cookie, only a bearer token, so a player on any site may use it.
 */
export function createWhipRouter(deps: ApiDeps): Router {
  const sessions = new Map<string, WhipSession>();
  /** Live sessions per client address, capped at MAX_CONNECTIONS_PER_ADDRESS as page sockets are. */
  const sessionsByAddress = new Map<string, number>();
  /** close() drains the cluster first: from then on nothing new may open a room the shutdown has passed. */
  const stopping = () => deps.cluster.health().draining;
  const router = express.Router();
  router.use(["/whip", "/whep"], cors);
  for (const kind of ["whip", "whep"] as const) {
    router.options(`/${kind}/:room`, (_req, res) => void res.set("Accept-Post", SDP_TYPE).sendStatus(204));
    router.post(`/${kind}/:room`, express.text({ type: () => true, limit: MAX_SDP_CHARS }), (req, res) => post(kind, req, res));
    router.all(`/${kind}/:room`, (_req, res) => methodNotAllowed(res, "POST, OPTIONS"));
    router.options(`/${kind}/:room/:session`, (_req, res) => void res.set("Accept-Patch", FRAGMENT_TYPE).sendStatus(204));
    router.delete(`/${kind}/:room/:session`, (req, res) => remove(kind, req, res));
    router.patch(`/${kind}/:room/:session`, express.text({ type: () => true, limit: "16kb" }), (req, res) => patch(kind, req, res));
    router.all(`/${kind}/:room/:session`, (_req, res) => methodNotAllowed(res, "PATCH, DELETE, OPTIONS"));
  }
  router.use(["/whip", "/whep"], errors);
  return router;

  /** A body over its limit or one express could not read; anything else is a server bug, logged. */
  function errors(err: unknown, req: Request, res: Response, _next: (err?: unknown) => void): void {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === "entity.too.large")
      return refuse(res, 413, "too-large", `the body is larger than this endpoint takes (an offer: ${MAX_SDP_CHARS} bytes)`);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500)
      return refuse(res, e.status, "bad-message", e.message ?? "bad request");
    deps.log.error("WHIP/WHEP request failed", {
      method: req.method,
      path: req.originalUrl.slice(0, 200),
      error: err instanceof Error ? err.stack : String(err),
    });
    if (!res.headersSent) sendApiError(res, 500, "internal", "the server failed to handle this request; see its log");
  }

  async function post(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const front = FRONTS[kind];
    if (stopping()) return refuse(res, 503, "node-unavailable", STOPPING);
    // As the page's sockets are: a session holds a peer connection and its ports, so one address holds few.
    const address = req.socket.remoteAddress ?? "unknown";
    const open = sessionsByAddress.get(address) ?? 0;
    if (open >= deps.config.maxConnectionsPerAddress) {
      deps.log.warn(`${kind} refused: too many sessions from one address`, { address, open });
      return refuse(
        res,
        429,
        "too-many-connections",
        `at most ${deps.config.maxConnectionsPerAddress} WHIP and WHEP sessions from one address are allowed (MAX_CONNECTIONS_PER_ADDRESS)`,
      );
    }
    if (!req.is(SDP_TYPE))
      return refuse(
        res,
        415,
        "bad-message",
        `send the offer as Content-Type: ${SDP_TYPE} (got ${req.get("content-type")?.slice(0, 80) ?? "none"})`,
      );
    const sdp = typeof req.body === "string" ? req.body : "";
    if (!/^v=0\r?\n/.test(sdp) || !/^m=/m.test(sdp))
      return refuse(res, 400, "bad-message", "the body is not an SDP offer: it must start with v=0 and have media (m=) sections");
    const join = z.safeParse(joinSchema, {
      type: "join",
      room: req.params.room,
      name: typeof req.query.name === "string" ? req.query.name : front.defaultName,
      role: front.role,
      ...(typeof req.query.mode === "string" ? { mode: req.query.mode } : {}),
      ...(bearer(req) !== undefined ? { token: bearer(req) } : {}),
    });
    if (!join.success) return refuse(res, 400, "bad-join", join.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const session = new WhipSession(kind);
    const entry = await enterRoom(
      { rooms: deps.rooms, config: deps.config, log: deps.log, cluster: deps.cluster },
      { join: join.data, channel: session, abandoned: () => req.socket.destroyed, onlyRole: front.role, requires: front.requires },
    );
    if (entry.kind === "abandoned") return;
    if (entry.kind === "elsewhere") {
      // As a page is sent to the room's node: the client POSTs the same offer there (RFC 9725 section 4.5).
      return void res.redirect(307, new URL(req.originalUrl, entry.node.url).toString());
    }
    if (entry.kind === "refused") {
      if (entry.code === "unauthorized") res.set("WWW-Authenticate", 'Bearer realm="tessera"');
      return refuse(res, FRONT_ERROR_STATUS[entry.code] ?? 500, entry.code, entry.message);
    }
    const { room, participant } = entry;
    session.attach(room, participant);
    sessions.set(session.id, session);
    sessionsByAddress.set(address, (sessionsByAddress.get(address) ?? 0) + 1);
    session.once("ended", (reason) => {
      sessions.delete(session.id);
      const left = (sessionsByAddress.get(address) ?? 1) - 1;
      if (left > 0) sessionsByAddress.set(address, left);
      else sessionsByAddress.delete(address);
      deps.log.info(`${kind} session ended`, { room: room.name, participant: participant.id, reason });
    });
    // The server began stopping while this request was admitted: its rooms are closing without this one.
    if (stopping()) {
      await session.leave("server-shutdown");
      return refuse(res, 503, "node-unavailable", STOPPING);
    }
    let answer: string;
    try {
      answer = await session.offer(sdp);
    } catch (err) {
      const code = protocolCodeOf(err);
      if (!code) deps.log.warn(`${kind} offer failed`, { room: room.name, error: (err as Error).stack ?? String(err) });
      else deps.log.info(`${kind} offer refused`, { room: room.name, code, reason: (err as Error).message });
      return refuse(res, code ? (FRONT_ERROR_STATUS[code] ?? 500) : 500, code ?? "negotiation-failed", (err as Error).message);
    }
    deps.log.info(`${kind} session started`, { room: room.name, participant: participant.id, name: participant.name });
    const turn = deps.config.turnSecret ? { secret: deps.config.turnSecret, ttlSeconds: deps.config.turnCredentialTtlS } : undefined;
    const links = iceServersFor(deps.config.iceServers, turn, participant.id).flatMap(iceServerLinks);
    if (links.length > 0) res.set("Link", links.join(", "));
    res
      .status(201)
      .type(SDP_TYPE)
      .set("Location", `/${kind}/${encodeURIComponent(room.name)}/${session.id}`)
      .set("ETag", session.etag)
      .set("Accept-Patch", FRAGMENT_TYPE)
      .send(answer);
  }

  async function remove(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const session = find(kind, req, res);
    if (!session) return;
    await session.leave("left");
    res.sendStatus(200);
  }

  async function patch(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const session = find(kind, req, res);
    if (!session) return;
    if (!req.is(FRAGMENT_TYPE)) return refuse(res, 415, "bad-message", `trickle candidates as Content-Type: ${FRAGMENT_TYPE}`);
    const ifMatch = req.get("if-match");
    if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== session.etag) {
      return refuse(res, 412, "bad-message", "If-Match does not name this session's ICE session (its ETag)");
    }
    const fragment = parseTrickleFragment(typeof req.body === "string" ? req.body : "");
    if ("problem" in fragment) return refuse(res, 400, "bad-message", `the body is not a trickle-ICE fragment: ${fragment.problem}`);
    if (fragment.ufrag !== undefined && session.iceUfrag !== undefined && fragment.ufrag !== session.iceUfrag) {
      // RFC 9725 section 4.3.2: a resource that trickles but does not restart answers a restart with 422.
      return refuse(res, 422, "negotiation-failed", "ICE restarts are not supported: DELETE this session and POST a new offer");
    }
    try {
      for (const c of fragment.candidates) await session.candidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null });
      if (fragment.endOfCandidates) await session.candidate(null);
    } catch (err) {
      const code = protocolCodeOf(err);
      return refuse(
        res,
        code ? (FRONT_ERROR_STATUS[code] ?? 400) : 400,
        code ?? "bad-candidate",
        `a candidate was refused: ${(err as Error).message}`,
      );
    }
    res.sendStatus(204);
  }

  /** The live session a DELETE or PATCH names, or a 404 answered. */
  function find(kind: HttpFrontKind, req: Request, res: Response): WhipSession | undefined {
    const session = sessions.get(String(req.params.session));
    if (session && session.kind === kind && session.roomName === req.params.room) return session;
    refuse(
      res,
      404,
      "unknown-participant",
      `no ${kind.toUpperCase()} session at ${req.originalUrl.slice(0, 200)}: it has ended, or never existed`,
    );
    return undefined;
  }
}

function bearer(req: Request): string | undefined {
  return /^Bearer (.+)$/i.exec(req.get("authorization") ?? "")?.[1];
}

function refuse(res: Response, status: number, code: ErrorCode, message: string): void {
  if (status === 503) res.set("Retry-After", String(RETRY_AFTER_S));
  sendApiError(res, status, code, message);
}

function methodNotAllowed(res: Response, allow: string): void {
  res.set("Allow", allow);
  sendApiError(res, 405, "bad-message", `method not allowed here; allowed: ${allow}`);
}

const cors: RequestHandler = (req, res, next) => {
  res.set("Access-Control-Allow-Origin", "*");
  res.set("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Patch, Accept-Post, Retry-After");
  if (req.method === "OPTIONS") {
    res.set("Access-Control-Allow-Methods", "POST, PATCH, DELETE, OPTIONS");
    res.set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    res.set("Access-Control-Max-Age", "600");
  }
  next();
};
