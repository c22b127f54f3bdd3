import { describe, expect, it } from "vitest";
import { BYE_REASONS } from "../protocol/byeReasons.js";
import { ERROR_CODE_LIST, isFatal } from "../protocol/errorCodes.js";
import { ROOM_MODES } from "../protocol/messages.js";
import { LANGUAGES, Translator } from "./i18n/translator.js";
import { render } from "./i18n/text.js";
import { describeBye, describeServerError, errorOutcome } from "./serverErrors.js";

const en = new Translator("en").t;
const ko = new Translator("ko").t;

describe("what the page does with a server error", () => {
  it("ends the session on every code the table marks fatal, in every mode", () => {
    for (const code of ERROR_CODE_LIST.filter(isFatal))
      for (const mode of [...ROOM_MODES, null]) expect(errorOutcome(code, mode), `${code} ${mode}`).toBe("end");
  });

  it("carries on after a non-fatal code, except the refusals of its one offer", () => {
    const givesUp = ["already-negotiated", "negotiation-failed", "bad-offer", "no-usable-codec", "wrong-mode"];
    for (const code of ERROR_CODE_LIST.filter((c) => !isFatal(c))) {
      expect(errorOutcome(code, "mcu"), code).toBe(givesUp.includes(code) ? "end" : "show");
    }
    expect(errorOutcome("rate-limited", "sfu")).toBe("show");
  });

  it("keeps a mesh signal to someone who just left out of sight", () => {
    expect(errorOutcome("unknown-participant", "mesh")).toBe("ignore");
    expect(errorOutcome("unknown-participant", "mcu")).toBe("show");
  });

  it("has words for every error and every bye, in every language, with every placeholder filled", () => {
    for (const language of LANGUAGES) {
      const t = new Translator(language).t;
      for (const code of ERROR_CODE_LIST) {
        for (const detail of ["detail", ""]) {
          const shown = render(t, describeServerError(code, detail, "r"));
          expect(shown.length, `${language} ${code}`).toBeGreaterThan(10);
          expect(shown, `${language} ${code}`).not.toMatch(/\{\w+\}/);
        }
      }
      for (const reason of BYE_REASONS) expect(render(t, describeBye(reason)), `${language} ${reason}`).not.toMatch(/\{\w+\}|undefined/);
    }
    expect(render(en, describeServerError("rate-limited", "slow down", "r"))).toBe("Server error (rate-limited): slow down");
    for (const reason of BYE_REASONS) expect(render(en, describeBye(reason)), reason).toMatch(/^The server ended the session: [a-z].+\.$/);
    expect(render(en, describeBye("kicked"))).toContain("operator");
  });

  it("says a full room in the page's language, offering to watch", () => {
    expect(render(en, describeServerError("room-full", "", "standup"))).toMatch(/"standup" is full.*join as a viewer/);
    expect(render(ko, describeServerError("room-full", "", "면접"))).toContain('회의실 "면접"이(가) 가득 찼습니다');
    expect(render(ko, describeServerError("rate-limited", "slow down", "r"))).toBe("서버 오류 (rate-limited): slow down");
  });
});
