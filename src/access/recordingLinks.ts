import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";

export type LinkCheck = { readonly ok: true } | { readonly ok: false; readonly reason: "expired" | "bad-signature" };

/**
 * Signed recording links: HMAC-SHA256 over the recording id and the expiry, so the link itself is the
 * permission and needs no Authorization header (a `<video src>` or a download link cannot send one).
 * Without a configured secret a random one per process: links then die with the process and work on no
 * other node.
 */
export class RecordingLinks {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    /** Lifetime of a link, in seconds. */
    private readonly ttlSeconds: number,
  ) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret);
  }

  /** The query of a fresh link to `id` and when it expires. */
  sign(id: string, nowMs = Date.now()): { query: string; expiresAt: Date } {
    const expires = Math.floor(nowMs / 1000) + this.ttlSeconds;
    return { query: `expires=${expires}&signature=${this.signature(id, expires)}`, expiresAt: new Date(expires * 1000) };
  }

  check(id: string, expires: unknown, signature: unknown, nowMs = Date.now()): LinkCheck {
    if (typeof expires !== "string" || !/^\d{1,12}$/.test(expires) || typeof signature !== "string")
      return { ok: false, reason: "bad-signature" };
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.signature(id, Number(expires)));
    // The signature first: an altered expiry must not be told apart from an altered id.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-signature" };
    if (Number(expires) * 1000 <= nowMs) return { ok: false, reason: "expired" };
    return { ok: true };
  }

  private signature(id: string, expires: number): string {
    return createHmac("sha256", this.key).update(`recording\n${id}\n${expires}`).digest("base64url");
  }
}

/**
 * `attachment` with a filename from the room and the start time (RFC 6266): an ASCII fallback in
 * `filename`, the exact UTF-8 name in `filename*` (RFC 5987) for room names beyond ASCII.
 */
export function recordingDisposition(room: string, startedAt: string, format: RecordingFormat = "webm"): string {
  const stamp = startedAt.replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  const name = `${room}-${stamp}.${format}`;
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
