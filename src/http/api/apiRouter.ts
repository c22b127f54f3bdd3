import express, { type ErrorRequestHandler, type Router } from "express";
import { ProtocolError } from "../../../protocol/protocolError.js";
import { forwardToRoomNode } from "../../cluster/apiForwarding.js";
import { ApiError, sendApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { apiStatusOf } from "./errorStatus.js";
import { layoutRoutes } from "./layoutRoutes.js";
import { recordingRoutes } from "./recordingRoutes.js";
import { requireToken } from "./requireToken.js";
import { roomRoutes } from "./roomRoutes.js";
import { recordingLinkRoutes, tokenRoutes } from "./accessRoutes.js";

/** The control API under /api: token check, JSON bodies, the routes, and one error shape for all of it. */
export function createApiRouter(deps: ApiDeps): Router {
  const router = express.Router();
  // Ahead of the API token: these carry their own permission (a join token, or a signed link).
  recordingLinkRoutes(router, deps);
  router.use(requireToken(deps.config.apiToken));
  router.use(express.json({ limit: "16kb" }));
  tokenRoutes(router, deps);
  // A room on another node of the cluster is handled there (docs/scaling.md, "Control API").
  router.use("/rooms/:room", forwardToRoomNode(deps));
  roomRoutes(router, deps);
  layoutRoutes(router, deps);
  recordingRoutes(router, deps);
  router.use((req, res) => sendApiError(res, 404, "not-found", `no API endpoint ${req.method} ${req.originalUrl.slice(0, 200)}`));
  router.use(apiErrorHandler(deps));
  return router;
}

function apiErrorHandler(deps: ApiDeps): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof ApiError) return sendApiError(res, err.status, err.code, err.message);
    if (err instanceof ProtocolError) {
      // A room or recording refusing the request: its own code and message, at the status that code maps to.
      const status = apiStatusOf(err.code);
      if (status !== undefined) return sendApiError(res, status, err.code, err.message);
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === "entity.parse.failed") return sendApiError(res, 400, "bad-json", "request body is not valid JSON");
    if (e.type === "entity.too.large") return sendApiError(res, 413, "too-large", "request body is larger than 16 KiB");
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500)
      return sendApiError(res, e.status, "bad-request", e.message ?? "bad request");
    deps.log.error("api request failed", {
      method: req.method,
      path: req.originalUrl,
      error: err instanceof Error ? err.stack : String(err),
    });
    sendApiError(res, 500, "internal", "the server failed to handle this request; see its log");
  };
}
