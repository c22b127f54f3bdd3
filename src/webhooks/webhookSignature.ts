import { createHmac, timingSafeEqual } from "node:crypto";

/** The header each webhook request carries its signature in. */
export const SIGNATURE_HEADER = "tessera-signature";

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`, as Stripe signs (LiveKit signs
 * a JWT instead; a bare HMAC needs no library to check). The timestamp is inside the MAC, so a receiver
 * can refuse an old request replayed. Each attempt is signed when it is sent.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, body)}`;
}

/**
 * What a receiver does (docs/webhooks.md has it for copying): true if `header` holds a v1 signature of
 * `body` under `secret` made within `toleranceS` of `nowS`.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  nowS = Math.floor(Date.now() / 1000),
  toleranceS = 300,
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(",").map((kv) => kv.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1");
  if (!Number.isInteger(t) || !v1 || Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(mac(secret, t, body), "hex");
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secret: string, t: number, body: string): string {
  return createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
}
