import { describe, expect, it } from "vitest";
import { render, type Text } from "./i18n/text.js";
import { Translator } from "./i18n/translator.js";
import { parseMode, readPageParams, validateJoin, wantsAutoJoin } from "./params.js";

const english = (shown: Text) => render(new Translator("en").t, shown);

describe("page parameters", () => {
  it("reads room, name, role and mode", () => {
    expect(readPageParams("?room=e2e&name=Alice&role=viewer&mode=grid")).toEqual({
      room: "e2e",
      name: "Alice",
      role: "viewer",
      mode: "grid",
      lang: "",
      camera: "",
      mic: "",
      token: "",
      relay: false,
    });
    expect(readPageParams("?room=a&lang=ko&camera=off&mic=off")).toMatchObject({ lang: "ko", camera: "off", mic: "off" });
  });

  it("reads a join token and the relay switch", () => {
    const p = readPageParams("?room=r&name=A&token=eyJ.a-b_c.d&relay=1");
    expect(p).toMatchObject({ token: "eyJ.a-b_c.d", relay: true });
    expect(readPageParams("?relay=true").relay).toBe(false);
  });

  it("auto-joins only with both room and name", () => {
    expect(wantsAutoJoin(readPageParams("?room=a&name=B"))).toBe(true);
    expect(wantsAutoJoin(readPageParams("?room=a"))).toBe(false);
    expect(wantsAutoJoin(readPageParams(""))).toBe(false);
  });

  it("decodes percent-encoded names", () => {
    expect(readPageParams("?room=a&name=Zo%C3%AB%20K").name).toBe("Zoë K");
  });
});

describe("join validation", () => {
  it("accepts a sender by default and a viewer on request", () => {
    expect(validateJoin("room_1-x", "Alice", "")).toEqual({ ok: true, options: { room: "room_1-x", name: "Alice", role: "sender" } });
    expect(validateJoin("r", " Bob ", "viewer")).toEqual({ ok: true, options: { room: "r", name: "Bob", role: "viewer" } });
  });

  it("takes room names in any script, NFC-normalised", () => {
    expect(validateJoin("모의면접", "A", "")).toEqual({ ok: true, options: { room: "모의면접", name: "A", role: "sender" } });
    // Hangul typed as conjoining jamo is the same room as its syllables.
    expect(validateJoin("각", "A", "")).toEqual({ ok: true, options: { room: "각", name: "A", role: "sender" } });
    for (const room of ["Зал-1", "αίθουσα_2", "会議室", "غرفة", "हिन्दी", "Zoë"]) expect(validateJoin(room, "A", "").ok, room).toBe(true);
  });

  it("refuses bad rooms, names and roles with a message", () => {
    for (const [room, name, role] of [
      ["", "A", ""],
      ["has space", "A", ""],
      ["x".repeat(65), "A", ""],
      ["한".repeat(65), "A", ""],
      ["../etc", "A", ""],
      ["a/b", "A", ""],
      ["\u3164", "A", ""],
      ["\u0301a", "A", ""],
      ["a\u200bb", "A", ""],
      ["r😀", "A", ""],
      ["r", "   ", ""],
      ["r", "x".repeat(41), ""],
      ["r", "\u200b\u202e", ""],
      ["r", "Ada\ud800", ""],
      ["r", "A", "admin"],
    ]) {
      const v = validateJoin(room, name, role);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(english(v.error).length).toBeGreaterThan(5);
    }
  });

  it("accepts a 40-character name", () => {
    expect(validateJoin("r", "x".repeat(40), "").ok).toBe(true);
  });

  it("cleans the name as the server does, and joins with the name others will see", () => {
    const nameOf = (raw: string) => {
      const v = validateJoin("r", raw, "");
      return v.ok ? v.options.name : english(v.error);
    };
    expect(nameOf("a\nb")).toBe("a b");
    expect(nameOf("Zoe\u0308  \u202eK")).toBe("Zo\u00eb K");
    expect(nameOf("\u200b")).toMatch(/^Your name must have visible characters/);
    // 40 visible characters are allowed however many invisible ones came with them.
    expect(nameOf(`${"x".repeat(40)}\u200b\u200b`)).toBe("x".repeat(40));
  });
});

describe("room mode", () => {
  it("leaves an empty mode to the server and accepts the three modes exactly", () => {
    expect(parseMode("")).toEqual({ ok: true, mode: undefined });
    for (const mode of ["mcu", "sfu", "mesh"]) expect(parseMode(mode)).toEqual({ ok: true, mode });
  });

  it("refuses anything else with a message naming the value and the choices", () => {
    for (const raw of ["grid", "MCU", " sfu", "mesh ", "p2p", "0"]) {
      const parsed = parseMode(raw, true);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(english(parsed.error)).toContain(`"${raw}" in the page address`);
        expect(english(parsed.error)).toMatch(/"mcu", "sfu" or "mesh"/);
      }
    }
  });

  it("shortens a very long value in the message", () => {
    const parsed = parseMode("x".repeat(500));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(english(parsed.error).length).toBeLessThan(120);
  });

  it("is part of join validation", () => {
    expect(validateJoin("r", "A", "", "sfu")).toEqual({ ok: true, options: { room: "r", name: "A", role: "sender", mode: "sfu" } });
    expect(validateJoin("r", "A", "viewer", "mesh")).toEqual({ ok: true, options: { room: "r", name: "A", role: "viewer", mode: "mesh" } });
    const bad = validateJoin("r", "A", "", "grid");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(english(bad.error)).toMatch(/Unknown room mode "grid"/);
  });

  it("reads mode from the URL", () => {
    expect(readPageParams("?room=r&name=A&mode=mesh").mode).toBe("mesh");
    expect(readPageParams("?room=r&name=A").mode).toBe("");
  });
});
