import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BYE_REASONS, byeReasonSchema, isByeReason } from "./byeReasons.js";
import { ERROR_CODE_LIST, ERROR_CODES, FATAL_ERROR_CODES, errorCodeSchema, isErrorCode, isFatal } from "./errorCodes.js";
import * as z from "./zod.js";

const protocolDoc = readFileSync(new URL("../docs/protocol.md", import.meta.url), "utf8");

/** docs/protocol.md's "Error codes" table: code -> fatal. */
function documentedCodes(): Map<string, boolean> {
  const section = protocolDoc.slice(protocolDoc.indexOf("### Error codes"));
  const table = section.slice(0, section.indexOf("\n## "));
  const rows = new Map<string, boolean>();
  for (const m of table.matchAll(/^\| `([a-z-]+)` \|.*\| (yes|no) \|$/gm)) rows.set(m[1], m[2] === "yes");
  return rows;
}

describe("error codes", () => {
  it("give every code a fatal flag, and list them all", () => {
    expect(ERROR_CODE_LIST.length).toBe(Object.keys(ERROR_CODES).length);
    for (const code of ERROR_CODE_LIST) expect(typeof ERROR_CODES[code].fatal, code).toBe("boolean");
    expect(FATAL_ERROR_CODES).toEqual(ERROR_CODE_LIST.filter((c) => ERROR_CODES[c].fatal));
  });

  it("keep every code the server has used", () => {
    // The union of src/signaling/messages.ts before it moved here.
    const before = [
      "room-full",
      "bad-join",
      "bad-json",
      "bad-message",
      "unknown-type",
      "too-large",
      "binary-not-supported",
      "not-joined",
      "already-joined",
      "already-negotiated",
      "wrong-mode",
      "unknown-participant",
      "no-usable-codec",
      "negotiation-failed",
      "ice-failed",
      "server-shutdown",
      "recording-state",
      "recording-failed",
      "insufficient-storage",
      "server-full",
      "too-many-connections",
      "rate-limited",
      "too-many-sections",
      "offer-timeout",
      "room-failed",
      "node-unavailable",
      "unauthorized",
      "forbidden-origin",
    ];
    // Added since: refusals of a malformed offer or candidate (issue 18).
    const added = ["bad-offer", "bad-candidate"];
    // A second screen share refused (issue 22).
    added.push("screen-busy", "screen-failed");
    expect([...ERROR_CODE_LIST].sort()).toEqual([...before, ...added].sort());
  });

  it("mark as fatal exactly what ends a session on the server", () => {
    expect([...FATAL_ERROR_CODES].sort()).toEqual(
      [
        "bad-join",
        "ice-failed",
        "offer-timeout",
        "room-failed",
        "room-full",
        "server-full",
        "server-shutdown",
        "too-many-connections",
        "node-unavailable",
        "unauthorized",
        "forbidden-origin",
      ].sort(),
    );
    expect(isFatal("room-full")).toBe(true);
    expect(isFatal("rate-limited")).toBe(false);
  });

  it("agree with docs/protocol.md's table, code for code and flag for flag", () => {
    const documented = documentedCodes();
    expect([...documented.keys()].sort()).toEqual([...ERROR_CODE_LIST].sort());
    for (const code of ERROR_CODE_LIST) expect(documented.get(code), code).toBe(isFatal(code));
  });

  it("are a schema that refuses anything else", () => {
    for (const code of ERROR_CODE_LIST) expect(z.safeParse(errorCodeSchema, code).success, code).toBe(true);
    for (const other of ["unknown", "Room-Full", "", 3, null])
      expect(z.safeParse(errorCodeSchema, other).success, String(other)).toBe(false);
    expect(isErrorCode("bad-json")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
  });
});

describe("bye reasons", () => {
  it("are every reason the server ends a session with: leave, kick, room closing, and each fatal error", () => {
    expect([...BYE_REASONS].sort()).toEqual(["left", "kicked", "room-closed", "replaced", ...FATAL_ERROR_CODES].sort());
    for (const reason of ["left", "kicked", "server-shutdown", "ice-failed", "offer-timeout", "room-failed"])
      expect(isByeReason(reason), reason).toBe(true);
  });

  it("refuse free text, which the server used to send", () => {
    for (const reason of ["removed from the room by an operator", "room closed", "no offer arrived within 2 s", ""]) {
      expect(isByeReason(reason), reason).toBe(false);
      expect(z.safeParse(byeReasonSchema, reason).success, reason).toBe(false);
    }
  });

  it("are each described in docs/protocol.md", () => {
    const bye = protocolDoc.split("\n").find((l) => l.startsWith("| `bye` |")) ?? "";
    for (const reason of BYE_REASONS) expect(bye.includes(`\`${reason}\``), reason).toBe(true);
  });
});
