// Cluster: the room lives on another node, which the server names in `redirect`. The page opens its
// socket there and joins again; media then goes straight to that node (docs/scaling.md).

import type { ServerMessageOf } from "../protocol/messages.js";
import type { JoinOptions } from "./params.js";
import { text, type Text } from "./i18n/text.js";
import type { OpenSignaling, SignalingHandlers, SignalingPort } from "./signaling.js";

/** More than this many in a row is a loop between misconfigured nodes, not a room moving. */
export const MAX_REDIRECTS = 3;

/** The socket to use next (opened with `open`), or why the page must give up instead. */
export function followRedirect(
  current: SignalingPort | null,
  message: ServerMessageOf<"redirect">,
  count: number,
  joined: boolean,
  open: (url: string, handlers: SignalingHandlers) => SignalingPort,
  handlers: SignalingHandlers,
): { socket: SignalingPort } | { refused: Text } {
  if (joined) return { refused: text("error.redirectAfterJoin") };
  if (count > MAX_REDIRECTS) return { refused: text("error.redirectLoop", { max: MAX_REDIRECTS, room: message.room }) };
  current?.close();
  return { socket: open(message.url, handlers) };
}

/**
 * One connection's way to the room's node: how many redirects it followed, and the watch for the browser
 * blocking the socket of the last one (its node not in the page's CSP), which calls `onBlocked` once.
 */
export class RedirectFollower {
  private count = 0;
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly open: OpenSignaling,
    private readonly watchBlocked: (url: string, blocked: () => void) => () => void,
    private readonly onBlocked: (url: string) => void,
  ) {}

  /** A new connection starts at the node that served the page: after a node is lost, it places the room again. */
  restart(): void {
    this.count = 0;
  }

  /** The socket to use next, or why the page must give up instead (followRedirect). */
  follow(
    current: SignalingPort | null,
    message: ServerMessageOf<"redirect">,
    joined: boolean,
    handlers: SignalingHandlers,
  ): { socket: SignalingPort } | { refused: Text } {
    this.stopWatching();
    // Watching before the socket exists: the browser may report the block as soon as it is made.
    this.unwatch = this.watchBlocked(message.url, () => {
      this.stopWatching();
      this.onBlocked(message.url);
    });
    return followRedirect(current, message, ++this.count, joined, this.open, handlers);
  }

  /** In the room, or gone: a block no longer matters. */
  stopWatching(): void {
    this.unwatch?.();
    this.unwatch = null;
  }
}

/** After one reload for a blocked node, another within this long is a loop: the new page was not let there either. */
export const BLOCKED_RELOAD_WINDOW_MS = 60_000;

/**
 * The page's Content-Security-Policy names the cluster's nodes that were live when the page was served
 * (src/http/app.ts); a node started since is not among them, and the browser blocks the socket to it,
 * silently: no close event, only a `securitypolicyviolation`. Calls `blocked` when that happens to `url`'s
 * host; returns the function that stops watching.
 */
export function watchBlockedSocket(target: EventTarget, url: string, blocked: () => void): () => void {
  const host = hostOf(url);
  const listener = (event: Event) => {
    if (hostOf((event as SecurityPolicyViolationEvent).blockedURI) === host) blocked();
  };
  target.addEventListener("securitypolicyviolation", listener);
  return () => target.removeEventListener("securitypolicyviolation", listener);
}

/**
 * Whether the page may load itself again to reach a blocked node (served anew, its policy names the node,
 * which the serving node has just found in the directory to send the page there); `memory` keeps when it
 * last did, for this tab, so a node that is never named ends in an error rather than a reload loop.
 */
export function mayReloadFor(url: string, memory: Pick<Storage, "getItem" | "setItem">, now: number): boolean {
  const key = `tessera-blocked-reload ${hostOf(url)}`;
  const last = Number(memory.getItem(key) ?? Number.NEGATIVE_INFINITY);
  if (now - last < BLOCKED_RELOAD_WINDOW_MS) return false;
  memory.setItem(key, String(now));
  return true;
}

/**
 * The page's address that joins this visit again without the form: room, name, role, mode, token and the
 * devices' state as page parameters (client/params.ts), the rest of the address as it was.
 */
export function rejoinAddress(href: string, options: JoinOptions, devices: { micMuted: boolean; cameraOff: boolean }): string {
  const url = new URL(href);
  const q = url.searchParams;
  q.set("room", options.room);
  q.set("name", options.name);
  q.set("role", options.role);
  if (options.mode) q.set("mode", options.mode);
  if (options.token) q.set("token", options.token);
  if (devices.micMuted) q.set("mic", "off");
  if (devices.cameraOff) q.set("camera", "off");
  return url.toString();
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
