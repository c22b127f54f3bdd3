const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface OriginPolicy {
  /** ALLOWED_ORIGINS: exact origins (`https://app.example.com`) allowed besides the defaults. */
  readonly allowed: readonly string[];
  /** PUBLIC_URL, whose origin is the server's own even behind a proxy that rewrites Host. */
  readonly publicUrl?: string;
}

/**
 * May a page from `origin` open /ws? Browsers always send Origin on a WebSocket handshake, so a missing one
 * is a program (werift tests, bots with their own credentials), not a page another site could abuse.
 * Allowed: the server's own origin (same host as the request's Host, or PUBLIC_URL's), loopback pages, and
 * ALLOWED_ORIGINS. Everything else is a page on another site trying to join in its visitor's name.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, policy: OriginPolicy): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (host !== undefined && url.host === host.toLowerCase()) return true;
  if (LOOPBACK_HOSTS.has(url.hostname)) return true;
  if (policy.publicUrl !== undefined && new URL(policy.publicUrl).origin === url.origin) return true;
  return policy.allowed.includes(url.origin);
}
