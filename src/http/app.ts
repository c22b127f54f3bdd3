import express, { type Express, type RequestHandler } from "express";
import type { ApiDeps } from "./api/apiDeps.js";
import { createApiRouter } from "./api/apiRouter.js";
import type { ClientAssets } from "./clientBundle.js";
import { metricsAccess } from "./metricsAccess.js";
import { securityHeaders } from "./securityHeaders.js";

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
  app.use(securityHeaders());
  app.get("/healthz", (_req, res) => {
    if (state.ready) res.json({ status: "ok" });
    else res.status(503).json({ status: "starting" });
  });
  app.get("/client.js", (_req, res) => {
    res.type("application/javascript").set("Cache-Control", "no-cache").send(state.client.script);
  });
  app.get("/", (_req, res) => res.sendFile("index.html", { root: state.client.dir }));
  app.get("/style.css", (_req, res) => res.sendFile("style.css", { root: state.client.dir }));
  if (metrics) app.get("/metrics", metricsAccess(api.config.apiToken), metrics);
  app.use("/api", createApiRouter(api));
  app.use((_req, res) => res.status(404).json({ error: "not found" }));
  return app;
}
