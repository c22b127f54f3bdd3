import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { mintJoinToken, verifyJoinToken } from "./joinToken.js";

const SECRET = "a-test-secret-of-32-characters!!";
const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, secret = SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
const full = { sub: "u1", name: "Ada", room: "interview-1", role: "sender", record: true };

describe("join tokens", () => {
  it("round-trips what was minted", async () => {
    const token = await mintJoinToken(SECRET, {
      room: "interview-1",
      name: "  Ada ",
      role: "viewer",
      record: true,
      sub: "ada-7",
      ttlSeconds: 60,
    });
    const check = await verifyJoinToken(SECRET, token, "interview-1");
    expect(check).toMatchObject({ ok: true, grant: { sub: "ada-7", name: "Ada", room: "interview-1", role: "viewer", record: true } });
    if (check.ok) expect(check.grant.exp - now()).toBeGreaterThan(55);
  });

  it("defaults to a sender who may not record, with a random identity", async () => {
    const a = await verifyJoinToken(SECRET, await mintJoinToken(SECRET, { room: "r", name: "A" }));
    const b = await verifyJoinToken(SECRET, await mintJoinToken(SECRET, { room: "r", name: "A" }));
    expect(a).toMatchObject({ ok: true, grant: { role: "sender", record: false } });
    if (a.ok && b.ok) expect(a.grant.sub).not.toBe(b.grant.sub);
  });

  it.each([
    ["missing", async () => undefined],
    ["malformed", async () => "not.a.jwt"],
    ["malformed", async () => "garbage"],
    ["expired", () => sign({ ...full, exp: now() - 60 })],
    ["not-yet-valid", () => sign({ ...full, exp: now() + 600, nbf: now() + 300 })],
    ["not-yet-valid", () => sign({ ...full, exp: now() + 600, iat: now() + 300 })],
    ["bad-signature", () => sign({ ...full, exp: now() + 600 }, "another-secret-of-32-characters!")],
    ["bad-signature", async () => new UnsecuredJWT({ ...full, exp: now() + 600 }).encode()],
    ["bad-claims", () => sign({ ...full })],
    ["bad-claims", () => sign({ ...full, exp: now() + 600, role: "admin" })],
    ["bad-claims", () => sign({ ...full, exp: now() + 600, record: "yes" })],
    ["bad-claims", () => sign({ ...full, exp: now() + 600, room: "../etc" })],
    ["bad-claims", () => sign({ ...full, exp: now() + 600, name: "\u200b" })],
    ["wrong-room", () => sign({ ...full, exp: now() + 600, room: "other" })],
  ])("refuses a token that is %s", async (reason, make) => {
    const check = await verifyJoinToken(SECRET, await make(), "interview-1");
    expect(check).toMatchObject({ ok: false, reason });
    if (!check.ok) expect(check.message).toMatch(/token/);
  });

  it("never echoes the token in its message", async () => {
    const token = await sign({ ...full, exp: now() - 60 });
    const check = await verifyJoinToken(SECRET, token, "interview-1");
    expect(JSON.stringify(check)).not.toContain(token.split(".")[1]);
  });
});
