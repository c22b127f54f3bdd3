import { describe, expect, it } from "vitest";
import { recordingDisposition, RecordingLinks } from "./recordingLinks.js";

const ID = "20260101T120000Z-0123abcd";

describe("signed recording links", () => {
  const links = new RecordingLinks("a-link-secret-of-some-length", 60);
  const parts = (query: string) => Object.fromEntries(new URLSearchParams(query));

  it("accepts its own link until it expires", () => {
    const now = Date.now();
    const { query, expiresAt } = links.sign(ID, now);
    const q = parts(query);
    expect(expiresAt.getTime()).toBe((Math.floor(now / 1000) + 60) * 1000);
    expect(links.check(ID, q.expires, q.signature, now)).toEqual({ ok: true });
    expect(links.check(ID, q.expires, q.signature, now + 61_000)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses an altered id, expiry or signature, and links of another secret", () => {
    const q = parts(links.sign(ID).query);
    expect(links.check("20260101T120000Z-0123abce", q.expires, q.signature)).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(links.check(ID, String(Number(q.expires) + 3600), q.signature)).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(links.check(ID, q.expires, q.signature.slice(0, -1) + (q.signature.endsWith("A") ? "B" : "A"))).toMatchObject({ ok: false });
    expect(links.check(ID, undefined, undefined)).toMatchObject({ ok: false });
    expect(new RecordingLinks("another-secret-entirely", 60).check(ID, q.expires, q.signature)).toMatchObject({
      ok: false,
      reason: "bad-signature",
    });
    // Two servers with the same LINK_SECRET accept each other's links.
    expect(new RecordingLinks("a-link-secret-of-some-length", 60).check(ID, q.expires, q.signature)).toEqual({ ok: true });
  });

  it("without a secret, signs with one of its own", () => {
    const a = new RecordingLinks(undefined, 60);
    const q = parts(a.sign(ID).query);
    expect(a.check(ID, q.expires, q.signature)).toEqual({ ok: true });
    expect(new RecordingLinks(undefined, 60).check(ID, q.expires, q.signature)).toMatchObject({ ok: false });
  });
});

describe("recordingDisposition", () => {
  it("names the file from the room and the start time", () => {
    expect(recordingDisposition("interview-1", "2026-01-01T12:00:00.123Z")).toBe(
      `attachment; filename="interview-1-2026-01-01T12-00-00Z.webm"; filename*=UTF-8''interview-1-2026-01-01T12-00-00Z.webm`,
    );
  });

  it("gives Unicode room names an ASCII fallback and the exact name in filename*", () => {
    const d = recordingDisposition("Café «Ü» 会议", "2026-01-01T12:00:00Z");
    expect(d).toContain(`filename="Caf_ ___ __-2026-01-01T12-00-00Z.webm"`);
    expect(d).toContain(`filename*=UTF-8''${encodeURIComponent("Café «Ü» 会议-2026-01-01T12-00-00Z.webm")}`);
    expect(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(d)![1])).toBe("Café «Ü» 会议-2026-01-01T12-00-00Z.webm");
    // Nothing that would end the quoted string or the header.
    expect(recordingDisposition('a"b\\c\r\n', "2026-01-01T12:00:00Z")).not.toMatch(/[\r\n]|"[^;]*"[^;]*"/);
  });
});
