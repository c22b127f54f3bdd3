import { describe, expect, it } from "vitest";
import { cleanDisplayName } from "./displayName.js";

const cleaned = (raw: string) => {
  const r = cleanDisplayName(raw);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to pass, got: ${r.problem}`);
  return r.name;
};
const problem = (raw: string) => {
  const r = cleanDisplayName(raw);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(r.name)}`);
  return r.problem;
};

describe("cleanDisplayName", () => {
  it("passes names in every script unchanged", () => {
    const names = [
      "김민수",
      "이 서연",
      "李小龙",
      "山田　太郎", // an ideographic space stays one
      "محمد بن سلمان",
      "דוד",
      "Ирина Петрова",
      "Σωκράτης",
      "Zoë Ångström-Łukasiewicz",
      "Nguyễn Văn Ân",
      "देवनागरी",
      "O'Brien (host)",
      "R2-D2",
    ];
    for (const name of names) expect(cleaned(name), name).toBe(name);
  });

  it("keeps emoji whole: ZWJ sequences, skin tones, presentation selectors, keycaps and tag flags", () => {
    const emoji = ["👩🏽‍🚀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️‍🔥", "1️⃣", "🇰🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "Ada 😀"];
    for (const e of emoji) expect(cleaned(e), e).toBe(e);
  });

  it("normalises to NFC", () => {
    expect(cleaned("Zoe\u0308")).toBe("Zo\u00eb");
    // Hangul typed as conjoining jamo becomes the syllables everyone else types.
    expect(cleaned("\u1100\u1175\u11b7")).toBe("김");
  });

  it("strips bidirectional controls: overrides, embeddings, isolates and marks", () => {
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c]) {
      const c = String.fromCodePoint(cp);
      expect(cleaned(`${c}Ada${c}`), cp.toString(16)).toBe("Ada");
    }
    expect(cleaned("Ada\u202e nimda")).toBe("Ada nimda");
  });

  it("strips zero-width, format and control characters, and joiners that are not between emoji", () => {
    expect(cleaned("A\u200bd\u200ca\u2060")).toBe("Ada");
    expect(cleaned("A\u200dda")).toBe("Ada");
    expect(cleaned("\ufeffBob\u00ad")).toBe("Bob");
    expect(cleaned("Bob\u0000\u001b[31m")).toBe("Bob[31m");
    expect(cleaned("Bob\u0085")).toBe("Bob");
    expect(cleaned("\u3164Bob")).toBe("Bob");
    // A selector with nothing visible before it selects nothing.
    expect(cleaned("\ufe0fBob")).toBe("Bob");
    // Tags outside a flag sequence hide text.
    expect(cleaned("Bob\u{e0041}\u{e0042}")).toBe("Bob");
  });

  it("turns line breaks and tabs into spaces and collapses runs of spaces", () => {
    expect(cleaned("  Ada \t\n Lovelace  ")).toBe("Ada Lovelace");
    expect(cleaned("Ada\u2028Lovelace")).toBe("Ada Lovelace");
    expect(cleaned("Ada \u200b Lovelace")).toBe("Ada Lovelace");
  });

  it("refuses names with nothing visible, naming the problem", () => {
    expect(problem("")).toBe("name must not be empty");
    expect(problem("   ")).toBe("name must not be empty");
    for (const raw of [
      "\u200b",
      "\u200b\u200c\u200d",
      "\u202e\u2066\u2069",
      "\u3164\u3164",
      "\u115f\u1160",
      "\ufeff",
      "\u0007\u0008",
      "\u{e0041}",
      "\ufe0f",
    ]) {
      expect(problem(raw), JSON.stringify(raw)).toMatch(/^name must have visible characters: it is only invisible/);
    }
    expect(problem("\u2800\u2800")).toMatch(/^name must have visible characters/);
    expect(problem("\u0301")).toMatch(/^name must have visible characters/);
  });

  it("refuses lone surrogates rather than guessing what was meant", () => {
    expect(problem("Ada\ud800")).toMatch(/surrogate/);
    expect(problem("\udc00Ada")).toMatch(/surrogate/);
    expect(problem("\ude00\ud83d")).toMatch(/surrogate/);
    expect(cleaned("\ud83d\ude00")).toBe("😀");
  });
});
