import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { iceServersFor, turnRestCredential } from "./turnCredentials.js";

describe("TURN REST credentials", () => {
  it("follows coturn's scheme: expiry:id and base64 HMAC-SHA1 of it", () => {
    const now = Date.UTC(2026, 0, 1);
    const c = turnRestCredential({ secret: "s3cret", ttlSeconds: 21600 }, "ab12cd34", now);
    expect(c.username).toBe(`${now / 1000 + 21600}:ab12cd34`);
    // Computed independently: what coturn computes from the same secret.
    expect(c.credential).toBe(createHmac("sha1", "s3cret").update(c.username).digest("base64"));
    expect(Buffer.from(c.credential, "base64")).toHaveLength(20);
  });

  it("replaces the static pair on TURN entries only, per participant", () => {
    const servers = [
      { urls: ["stun:stun.example.com"] },
      { urls: ["turn:turn.example.com:3478", "turns:turn.example.com:443"], username: "static", credential: "shared" },
    ];
    const a = iceServersFor(servers, { secret: "k", ttlSeconds: 60 }, "a");
    const b = iceServersFor(servers, { secret: "k", ttlSeconds: 60 }, "b");
    expect(a[0]).toEqual(servers[0]);
    expect(a[1].urls).toEqual(servers[1].urls);
    expect(a[1].username).toMatch(/^\d+:a$/);
    expect(a[1].credential).not.toBe("shared");
    expect(b[1].credential).not.toBe(a[1].credential);
    expect(iceServersFor(servers, undefined, "a")).toEqual(servers);
  });
});
