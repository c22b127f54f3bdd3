import type { RequestHandler } from "express";

/**
 * The page loads only its own script and stylesheet and talks only to its own server, so everything else
 * is refused: an injected script or a third-party frame has nowhere to load from or send to. media-src
 * allows the camera's and the peer connection's streams (srcObject); img-src data: is for the favicon-less
 * default. Referrer-Policy no-referrer keeps a join link's token out of every Referer header.
 */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    ["connect-src 'self'", ...connectSources].join(" "),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * `connectSources`: other origins the page's socket may be sent to (other nodes' `ws(s)://…`), beyond its
 * own, asked for each response: in a cluster they are the nodes live when the page is served.
 */
export function securityHeaders(connectSources: () => readonly string[] = () => []): RequestHandler {
  return (_req, res, next) => {
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(connectSources()));
    // frame-ancestors for current browsers, X-Frame-Options for the ones before CSP 2.
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("X-Content-Type-Options", "nosniff");
    next();
  };
}

/** The WebSocket origins of these http(s) origins: what a page served here may open a socket to (other nodes). */
export function socketSources(origins: readonly string[]): string[] {
  return origins.map((origin) => origin.replace(/^http/, "ws"));
}
