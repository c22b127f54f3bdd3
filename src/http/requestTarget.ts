import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

// Only the path is wanted; the base stands in for the Host header, which a client may also have mangled.
const BASE = "http://tessera.invalid";

/**
 * The path of a request target (`/ws?x`, or the absolute form `http://host/ws`), or undefined when it is not
 * a URL at all (`http://[`): `new URL` throws on those, and a throw in a listener's callback ends the process.
 */
export function requestPath(target: string | undefined): string | undefined {
  if (target === undefined || !URL.canParse(target, BASE)) return undefined;
  return new URL(target, BASE).pathname;
}

export const BAD_TARGET_BODY = "bad request: the request target is not a URL\n";

/**
 * `listener` behind a check of the request target: one that is not a URL gets a 400 before any handler reads
 * it (express would route it nowhere and answer 404; a handler calling `new URL` would throw).
 */
export function refusingUnparseableTargets(listener: (req: IncomingMessage, res: ServerResponse) => void): RequestListener {
  return (req, res) => {
    if (requestPath(req.url) !== undefined) return listener(req, res);
    res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" }).end(BAD_TARGET_BODY);
  };
}
