import { describe, expect, it } from "vitest";
import { parseClientMessage } from "./parse.js";

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
    expect(bad(JSON.stringify({ type: "join", room: "../etc", name: "x" }))).toMatchObject({
      code: "bad-join",
      message: expect.stringContaining("room"),
    });
    expect(bad(JSON.stringify({ type: "join", room: "r", name: "" }))).toMatchObject({
      code: "bad-join",
      message: expect.stringContaining("name"),
    });
    expect(bad(JSON.stringify({ type: "join", room: "r", name: "a", role: "admin" }))).toMatchObject({
      code: "bad-join",
      message: expect.stringContaining("role"),
    });
  });

  it("rejects non-JSON, non-objects, unknown types and extra fields", () => {
    expect(bad("{nope").code).toBe("bad-json");
    expect(bad("[1,2]").code).toBe("bad-message");
    expect(bad(JSON.stringify({ type: "dance" }))).toMatchObject({ code: "unknown-type", message: expect.stringContaining("dance") });
    expect(bad(JSON.stringify({ type: "leave", extra: 1 }))).toMatchObject({
      code: "bad-message",
      message: expect.stringContaining("extra"),
    });
    expect(bad(JSON.stringify({ type: "__proto__" })).code).toBe("unknown-type");
  });

  it("rejects oversized frames before parsing them", () => {
    expect(bad(JSON.stringify({ type: "offer", sdp: "x".repeat(70_000) })).code).toBe("too-large");
    expect(bad(JSON.stringify({ type: "offer", sdp: "x".repeat(61_000) })).code).toBe("bad-message");
  });

  it("accepts candidates, the end-of-candidates null, and mutes", () => {
    expect(
      parseClientMessage(
        JSON.stringify({
          type: "candidate",
          candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 },
        }),
      ).ok,
    ).toBe(true);
    expect(parseClientMessage(JSON.stringify({ type: "candidate", candidate: null })).ok).toBe(true);
    expect(parseClientMessage(JSON.stringify({ type: "mute", video: true })).ok).toBe(true);
    expect(bad(JSON.stringify({ type: "mute", video: "yes" })).message).toContain("video");
  });
});

describe("display names in a join", () => {
  const join = (name: string) => parseClientMessage(JSON.stringify({ type: "join", room: "r", name }));
  // JSON text rather than JSON.stringify: a lone surrogate must reach the parser as the escape a client would send.
  const joinText = (nameJson: string) => `{"type":"join","room":"r","name":${nameJson}}`;
  const nameOf = (r: ReturnType<typeof parseClientMessage>) => (r.ok && r.message.type === "join" ? r.message.name : undefined);

  it("keeps names in any script, and emoji, as they are", () => {
    for (const name of ["김민수", "李小龙", "山田 太郎", "محمد", "Ирина", "Σωκράτης", "Zoë Ångström", "Nguyễn Văn A", "👩🏽‍🚀 Ada", "🏳️‍🌈"]) {
      expect(nameOf(join(name)), name).toBe(name);
    }
  });

  it("refuses names that are only invisible characters, with bad-join naming the name", () => {
    for (const name of ["\u200b\u200b", "\u200d", "\u2066\u2069", "\u202e", "\u3164", "\ufeff \u200b", "\u0007"]) {
      expect(bad(JSON.stringify({ type: "join", room: "r", name })), JSON.stringify(name)).toMatchObject({
        code: "bad-join",
        message: expect.stringMatching(/name: .*visible/),
      });
    }
  });

  it("strips bidirectional overrides and other format characters from names that have something to show", () => {
    expect(nameOf(join("Ada\u202e nimda"))).toBe("Ada nimda");
    expect(nameOf(join("\u2067Eve\u2069"))).toBe("Eve");
    expect(nameOf(join("B\u200bo\u00adb"))).toBe("Bob");
  });

  it("refuses a lone surrogate, saying so", () => {
    expect(bad(joinText('"Ada\\ud800"'))).toMatchObject({ code: "bad-join", message: expect.stringContaining("surrogate") });
    expect(nameOf(parseClientMessage(joinText('"\\ud83d\\ude00"')))).toBe("\u{1f600}");
  });

  it("normalises names to NFC and keeps the 40-character limit", () => {
    expect(nameOf(join("Zoe\u0308"))).toBe("Zo\u00eb");
    expect(nameOf(join("a".repeat(40)))).toBe("a".repeat(40));
    expect(bad(JSON.stringify({ type: "join", room: "r", name: "a".repeat(41) }))).toMatchObject({
      code: "bad-join",
      message: expect.stringContaining("at most 40"),
    });
  });
});
