import type { RequestHandler } from "express";
import { requireToken } from "./api/requireToken.js";

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * /metrics on the main listener (METRICS_PORT unset): a scraper on the same machine (no proxy in between:
 * no Forwarded or X-Forwarded-For header) reads it freely; anyone else needs the API token. A reverse proxy
 * on the same host that adds neither header would make every visitor look local: set METRICS_PORT then.
 */
export function metricsAccess(apiToken: string | undefined): RequestHandler {
  const token = requireToken(apiToken);
  return (req, res, next) => {
    const proxied = req.get("forwarded") !== undefined || req.get("x-forwarded-for") !== undefined;
    if (!proxied && LOOPBACK.test(req.socket.remoteAddress ?? "")) return next();
    token(req, res, next);
  };
}
