import { timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { sendApiError } from "./apiError.js";

/**
 * Bearer-token check for the control API. With no token configured the API is off (403), so a
 * server started without thinking about it never exposes kick or delete to the network.
 */
export function requireToken(apiToken: string | undefined): RequestHandler {
  const expected = apiToken === undefined ? undefined : Buffer.from(apiToken);
  return (req, res, next) => {
    if (!expected) {
      sendApiError(
        res,
        403,
        "api-disabled",
        "the control API is off: set API_TOKEN to turn it on, then send Authorization: Bearer <API_TOKEN>",
      );
      return;
    }
    const header = req.get("authorization") ?? "";
    const match = /^Bearer (.+)$/i.exec(header);
    if (!match) {
      res.set("WWW-Authenticate", 'Bearer realm="tessera"');
      sendApiError(res, 401, "unauthorized", "missing Authorization: Bearer <API_TOKEN> header");
      return;
    }
    const given = Buffer.from(match[1]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.set("WWW-Authenticate", 'Bearer realm="tessera", error="invalid_token"');
      sendApiError(res, 401, "unauthorized", "the bearer token is not the configured API_TOKEN");
      return;
    }
    next();
  };
}
