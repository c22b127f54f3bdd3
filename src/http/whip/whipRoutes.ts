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
  const endpoints = new WhipEndpoints(deps);
  const router = express.Router();
  router.use(["/whip", "/whep"], cors);
  for (const kind of ["whip", "whep"] as const) {
    router.options(`/${kind}/:room`, (_req, res) => void res.set("Accept-Post", SDP_TYPE).sendStatus(204));
    router.post(`/${kind}/:room`, express.text({ type: () => true, limit: MAX_SDP_CHARS }), (req, res) => endpoints.post(kind, req, res));
    router.all(`/${kind}/:room`, (_req, res) => methodNotAllowed(res, "POST, OPTIONS"));
    router.options(`/${kind}/:room/:session`, (_req, res) => void res.set("Accept-Patch", FRAGMENT_TYPE).sendStatus(204));
    router.delete(`/${kind}/:room/:session`, (req, res) => endpoints.remove(kind, req, res));
    router.patch(`/${kind}/:room/:session`, express.text({ type: () => true, limit: "16kb" }), (req, res) =>
      endpoints.patch(kind, req, res),
    );
    router.all(`/${kind}/:room/:session`, (_req, res) => methodNotAllowed(res, "PATCH, DELETE, OPTIONS"));
  }
  router.use(["/whip", "/whep"], (err: unknown, req: Request, res: Response, _next: (err?: unknown) => void) =>
    endpoints.errors(err, req, res),
  );
  return router;
}

/** What a POST asked for, once its body and query have passed the checks. */
interface CheckedPost {
  readonly join: z.infer<typeof joinSchema>;
  readonly sdp: string;
  readonly address: string;
}

/** The live WHIP and WHEP sessions of this node, and the handlers of their requests. */
class WhipEndpoints {
  private readonly sessions = new Map<string, WhipSession>();
  /** Live sessions per client address, capped at MAX_CONNECTIONS_PER_ADDRESS as page sockets are. */
  private readonly sessionsByAddress = new Map<string, number>();

  constructor(private readonly deps: ApiDeps) {}

  /** close() drains the cluster first: from then on nothing new may open a room the shutdown has passed. */
  private stopping(): boolean {
    return this.deps.cluster.health().draining;
  }

  /** A body over its limit or one express could not read; anything else is a server bug, logged. */
  errors(err: unknown, req: Request, res: Response): void {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === "entity.too.large")
      return refuse(res, 413, "too-large", `the body is larger than this endpoint takes (an offer: ${MAX_SDP_CHARS} bytes)`);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500)
      return refuse(res, e.status, "bad-message", e.message ?? "bad request");
    this.deps.log.error("WHIP/WHEP request failed", {
      method: req.method,
      path: req.originalUrl.slice(0, 200),
      error: err instanceof Error ? err.stack : String(err),
    });
    if (!res.headersSent) sendApiError(res, 500, "internal", "the server failed to handle this request; see its log");
  }

  async post(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const checked = this.checkPost(kind, req, res);
    if (!checked) return;
    const front = FRONTS[kind];
    const session = new WhipSession(kind);
    const { deps } = this;
    const entry = await enterRoom(
      { rooms: deps.rooms, config: deps.config, log: deps.log, cluster: deps.cluster },
      { join: checked.join, channel: session, abandoned: () => req.socket.destroyed, onlyRole: front.role, requires: front.requires },
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
    const at = { room: room.name, participant: participant.id };
    this.track(kind, session, checked.address, at);
    // The server began stopping while this request was admitted: its rooms are closing without this one.
    if (this.stopping()) {
      await session.leave("server-shutdown");
      return refuse(res, 503, "node-unavailable", STOPPING);
    }
    let answer: string;
    try {
      answer = await session.offer(checked.sdp);
    } catch (err) {
      const code = protocolCodeOf(err);
      if (!code) deps.log.warn(`${kind} offer failed`, { room: room.name, error: (err as Error).stack ?? String(err) });
      else deps.log.info(`${kind} offer refused`, { room: room.name, code, reason: (err as Error).message });
      return refuse(res, code ? (FRONT_ERROR_STATUS[code] ?? 500) : 500, code ?? "negotiation-failed", (err as Error).message);
    }
    deps.log.info(`${kind} session started`, { room: room.name, participant: participant.id, name: participant.name });
    this.sendAnswer(kind, res, session, answer, at);
  }

  /** The POST's own checks, before any room is touched; undefined when one failed (and was answered). */
  private checkPost(kind: HttpFrontKind, req: Request, res: Response): CheckedPost | undefined {
    const { config, log } = this.deps;
    if (this.stopping()) return void refuse(res, 503, "node-unavailable", STOPPING);
    // As the page's sockets are: a session holds a peer connection and its ports, so one address holds few.
    const address = req.socket.remoteAddress ?? "unknown";
    const open = this.sessionsByAddress.get(address) ?? 0;
    if (open >= config.maxConnectionsPerAddress) {
      log.warn(`${kind} refused: too many sessions from one address`, { address, open });
      const message = `at most ${config.maxConnectionsPerAddress} WHIP and WHEP sessions from one address are allowed (MAX_CONNECTIONS_PER_ADDRESS)`;
      return void refuse(res, 429, "too-many-connections", message);
    }
    if (!req.is(SDP_TYPE)) {
      const got = req.get("content-type")?.slice(0, 80) ?? "none";
      return void refuse(res, 415, "bad-message", `send the offer as Content-Type: ${SDP_TYPE} (got ${got})`);
    }
    const sdp = typeof req.body === "string" ? req.body : "";
    if (!/^v=0\r?\n/.test(sdp) || !/^m=/m.test(sdp))
      return void refuse(res, 400, "bad-message", "the body is not an SDP offer: it must start with v=0 and have media (m=) sections");
    const front = FRONTS[kind];
    const join = z.safeParse(joinSchema, {
      type: "join",
      room: req.params.room,
      name: typeof req.query.name === "string" ? req.query.name : front.defaultName,
      role: front.role,
      ...(typeof req.query.mode === "string" ? { mode: req.query.mode } : {}),
      ...(bearer(req) !== undefined ? { token: bearer(req) } : {}),
    });
    if (!join.success)
      return void refuse(res, 400, "bad-join", join.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    return { join: join.data, sdp, address };
  }

  /** Kept (and counted against its address) until it ends. */
  private track(kind: HttpFrontKind, session: WhipSession, address: string, at: { room: string; participant: string }): void {
    this.sessions.set(session.id, session);
    this.sessionsByAddress.set(address, (this.sessionsByAddress.get(address) ?? 0) + 1);
    session.once("ended", (reason) => {
      this.sessions.delete(session.id);
      const left = (this.sessionsByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.sessionsByAddress.set(address, left);
      else this.sessionsByAddress.delete(address);
      this.deps.log.info(`${kind} session ended`, { ...at, reason });
    });
  }

  private sendAnswer(
    kind: HttpFrontKind,
    res: Response,
    session: WhipSession,
    answer: string,
    at: { room: string; participant: string },
  ): void {
    const { config } = this.deps;
    const turn = config.turnSecret ? { secret: config.turnSecret, ttlSeconds: config.turnCredentialTtlS } : undefined;
    const links = iceServersFor(config.iceServers, turn, at.participant).flatMap(iceServerLinks);
    if (links.length > 0) res.set("Link", links.join(", "));
    res
      .status(201)
      .type(SDP_TYPE)
      .set("Location", `/${kind}/${encodeURIComponent(at.room)}/${session.id}`)
      .set("ETag", session.etag)
      .set("Accept-Patch", FRAGMENT_TYPE)
      .send(answer);
  }

  async remove(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const session = this.find(kind, req, res);
    if (!session) return;
    await session.leave("left");
    res.sendStatus(200);
  }

  async patch(kind: HttpFrontKind, req: Request, res: Response): Promise<void> {
    const session = this.find(kind, req, res);
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
  private find(kind: HttpFrontKind, req: Request, res: Response): WhipSession | undefined {
    const session = this.sessions.get(String(req.params.session));
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
