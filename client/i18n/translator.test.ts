import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { en } from "./en.js";
import { ko } from "./ko.js";
import { render, text } from "./text.js";
import { LANGUAGES, Translator, format, pickLanguage, type MessageKey } from "./translator.js";

describe("language choice", () => {
  it("follows the browser's languages, matched on the primary subtag", () => {
    expect(pickLanguage(["ko-KR", "en-US"])).toBe("ko");
    expect(pickLanguage(["fr-FR", "ko"])).toBe("ko");
    expect(pickLanguage(["en-GB", "ko"])).toBe("en");
    expect(pickLanguage(["fr", "de"])).toBe("en");
    expect(pickLanguage([])).toBe("en");
  });

  it("an explicit choice (URL, then the saved switch) wins; unknown ones are skipped", () => {
    expect(pickLanguage(["en-US"], "ko", "en")).toBe("ko");
    expect(pickLanguage(["en-US"], null, "ko")).toBe("ko");
    expect(pickLanguage(["ko"], "xx", null)).toBe("ko");
  });
});

describe("strings", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(format("Room {room} ({n})", { room: "a", n: 2 })).toBe("Room a (2)");
    expect(format("Hi {who}", {})).toBe("Hi {who}");
  });

  it("Korean has every key, none empty or left in English, with the same placeholders", () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(ko[key].length, key).toBeGreaterThan(0);
      expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
      // Identical text is a forgotten translation, except where the text is language-neutral.
      if (!["prejoin.deviceN"].includes(key)) expect(ko[key], key).not.toBe(en[key]);
    }
  });

  it("switches language at run time", () => {
    const tr = new Translator("en");
    expect(tr.t("prejoin.join")).toBe("Join");
    tr.language = "ko";
    expect(tr.t("prejoin.join")).toBe("참여");
    expect(tr.t("call.recBy", { name: "김민수" })).toBe("녹화 중 · 김민수 님이 시작");
  });
});

describe("texts by key", () => {
  it("a key without text is an error, never English in its place", () => {
    for (const language of LANGUAGES) {
      expect(() => new Translator(language).t("error.noSuchKey" as MessageKey)).toThrow(
        `no ${language} text for the key "error.noSuchKey"`,
      );
    }
  });

  it("every key the page's HTML names has a text in every language", () => {
    const html = readFileSync(new URL("../index.html", import.meta.url), "utf8");
    const keys = [...html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]*)"/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(20);
    for (const language of LANGUAGES)
      for (const key of keys) expect(() => new Translator(language).t(key as MessageKey), key).not.toThrow();
  });

  it.each([
    ["en", "The media connection to 김민수 failed: could not negotiate: timeout."],
    ["ko", "김민수 님과의 미디어 연결이 실패했습니다: 연결 협상을 할 수 없습니다: timeout."],
  ] as const)("words a text and the texts in its parameters in one language (%s)", (language, want) => {
    const shown = text("error.peerFailed", { name: "김민수", reason: text("reason.peerNegotiation", { detail: "timeout" }) });
    expect(render(new Translator(language).t, shown)).toBe(want);
  });
});
