import express, { type Express, type RequestHandler } from "express";
import type { ApiDeps } from "./api/apiDeps.js";
import { createApiRouter } from "./api/apiRouter.js";
import type { ClientAssets } from "./clientBundle.js";
import { metricsAccess } from "./metricsAccess.js";
import { createWhipRouter } from "./whip/whipRoutes.js";
import { securityHeaders, socketSources } from "./securityHeaders.js";

export interface AppState {
  ready: boolean;
  /** The bundled browser app (/client.js), and the directory index.html and style.css are served from. */
  readonly client: ClientAssets;
}

/**
 * HTTP surface: the client page and script, the health check, Prometheus metrics (here only when they have no
 * listener of their own: loopback or the API token, see metricsAccess.ts) and the control API. Signaling lives
 * on /ws beside it. `metrics` undefined: METRICS_PORT serves them elsewhere.
 */
export function createApp(state: AppState, api: ApiDeps, metrics: RequestHandler | undefined): Express {
  const app = express();
  app.disable("x-powered-by");
  // In a cluster a page may be sent on to any live node's /ws (docs/scaling.md): their NODE_URLs, from the
  // directory, as ws:// and wss:// sources, besides the ALLOWED_ORIGINS an operator lists.
  app.use(securityHeaders(() => socketSources([...api.config.allowedOrigins, ...api.cluster.nodeOrigins()])));
  // Up (200) while the process serves its rooms, whatever its Redis: a liveness probe must not restart a
  // node whose rooms are fine. `?ready` is the readiness form: 503 while it cannot take new rooms.
  app.get("/healthz", (req, res) => {
    if (!state.ready) return void res.status(503).json({ status: "starting" });
    const cluster = api.cluster.health();
    const status = cluster.acceptingRooms ? "ok" : cluster.draining ? "draining" : "degraded";
    const body = { status, redis: cluster.redis, acceptingRooms: cluster.acceptingRooms, ...(cluster.node ? { node: cluster.node } : {}) };
    res.status(req.query.ready !== undefined && !cluster.acceptingRooms ? 503 : 200).json(body);
  });
  app.get("/client.js", (_req, res) => {
    res.type("application/javascript").set("Cache-Control", "no-cache").send(state.client.script);
  });
  app.get("/", (_req, res) => res.sendFile("index.html", { root: state.client.dir }));
  app.get("/style.css", (_req, res) => res.sendFile("style.css", { root: state.client.dir }));
  // Browsers ask for /favicon.ico whatever the page links; both get the SVG.
  app.get(["/favicon.svg", "/favicon.ico"], (_req, res) => {
    res.type("image/svg+xml").set("Cache-Control", "max-age=86400").sendFile("favicon.svg", { root: state.client.dir });
  });
  if (metrics) app.get("/metrics", metricsAccess(api.config.apiToken), metrics);
  app.use("/api", createApiRouter(api));
  // WHIP (RFC 9725) and WHEP: encoders and players join rooms without the page (src/http/whip/).
  app.use(createWhipRouter(api));
  // A person who mistyped a link gets a page with a way back; programs use /api, whose router answers JSON (its own 404 too).
  app.use((_req, res) => res.status(404).type("html").sendFile("404.html", { root: state.client.dir }));
  return app;
}
