import { describe, expect, it } from "vitest";
import { parseClientMessage } from "./messages.js";

const bad = (raw: string) => {
  const r = parseClientMessage(raw);
  if (r.ok) throw new Error("expected a rejection");
  return r;
};

describe("client message validation", () => {
  it("accepts a join and defaults the role to sender", () => {
    const r = parseClientMessage(JSON.stringify({ type: "join", room: "interview-1", name: "  Ada " }));
    expect(r).toEqual({ ok: true, message: { type: "join", room: "interview-1", name: "Ada", role: "sender" } });
  });

  it("names the problem in a bad join", () => {
    expect(bad(JSON.stringify({ type: "join", room: "../etc", name: "x" }))).toMatchObject({ code: "bad-join", message: expect.stringContaining("room") });
    expect(bad(JSON.stringify({ type: "join", room: "r", name: "" }))).toMatchObject({ code: "bad-join", message: expect.stringContaining("name") });
    expect(bad(JSON.stringify({ type: "join", room: "r", name: "a", role: "admin" }))).toMatchObject({ code: "bad-join", message: expect.stringContaining("role") });
  });

  it("rejects non-JSON, non-objects, unknown types and extra fields", () => {
    expect(bad("{nope").code).toBe("bad-json");
    expect(bad("[1,2]").code).toBe("bad-message");
    expect(bad(JSON.stringify({ type: "dance" }))).toMatchObject({ code: "unknown-type", message: expect.stringContaining("dance") });
    expect(bad(JSON.stringify({ type: "leave", extra: 1 }))).toMatchObject({ code: "bad-message", message: expect.stringContaining("extra") });
    expect(bad(JSON.stringify({ type: "__proto__" })).code).toBe("unknown-type");
  });

  it("rejects oversized frames before parsing them", () => {
    expect(bad(JSON.stringify({ type: "offer", sdp: "x".repeat(70_000) })).code).toBe("too-large");
    expect(bad(JSON.stringify({ type: "offer", sdp: "x".repeat(61_000) })).code).toBe("bad-message");
  });

  it("accepts candidates, the end-of-candidates null, and mutes", () => {
    expect(parseClientMessage(JSON.stringify({ type: "candidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } })).ok).toBe(true);
    expect(parseClientMessage(JSON.stringify({ type: "candidate", candidate: null })).ok).toBe(true);
    expect(parseClientMessage(JSON.stringify({ type: "mute", video: true })).ok).toBe(true);
    expect(bad(JSON.stringify({ type: "mute", video: "yes" })).message).toContain("video");
  });
});
