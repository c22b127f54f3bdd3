import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GlobalFonts } from "@napi-rs/canvas";
import { afterAll, describe, expect, it } from "vitest";
import { inkSimilarity, referenceText, type Luma } from "../../test/helpers/glyphs.js";
import { BUNDLED_FONTS, DEFAULT_LABEL_FAMILIES, resolveLabelFont } from "./labelFont.js";

const bundled = BUNDLED_FONTS.map((f) => f.family);
const DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const IN_CI = process.env.CI === "true";

/**
 * Whether this process may make a mount namespace (root, as here and in CI): the test hides every
 * installed font from a child that way, as on a machine where only `npm ci` ran.
 */
function canHideFonts(): boolean {
  try {
    execFileSync("unshare", ["--mount", "--propagation", "private", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface FontlessRun {
  fontsBefore: string[];
  families: string[];
  labels: { name: string; width: number; height: number; luma: string }[];
}

/**
 * test/helpers/fontlessLabel.ts in a child whose /usr/share/fonts is an empty tmpfs (a mount namespace of
 * its own, so nothing outside it sees the change) and whose home has no ~/.fonts: no font is installed.
 */
function drawWithoutInstalledFonts(names: string[], home: string): Promise<FontlessRun> {
  const script = `mount -t tmpfs tmpfs /usr/share/fonts && HOME=${home} exec node --import tsx test/helpers/fontlessLabel.ts "$@"`;
  return new Promise((resolve, reject) => {
    execFile(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", script, "sh", ...names],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, LABEL_FONT: "" } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as FontlessRun);
      },
    );
  });
}

describe("the fonts npm ci installs", () => {
  const home = mkdtempSync(join(tmpdir(), "tessera-fontless-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("stand in, each in its place, for every default family not installed; an installed one is used instead", () => {
    expect(resolveLabelFont(undefined, { systemFonts: false }).families).toEqual(bundled);
    // On this machine: whatever Debian fonts it has come first, bundled ones only where they are missing.
    const families = resolveLabelFont(undefined).families;
    for (const font of BUNDLED_FONTS) expect(families.includes(font.family), font.family).toBe(!GlobalFonts.has(font.standsFor));
    const installed = DEFAULT_LABEL_FAMILIES.filter((f) => GlobalFonts.has(f));
    expect(families.filter((f) => !bundled.includes(f))).toEqual(installed);
  });

  it("come after LABEL_FONT's fonts, for the characters those lack, and LABEL_FONT still comes first", () => {
    expect(resolveLabelFont(DEJAVU, { systemFonts: false }).families).toEqual([`LABEL_FONT ${DEJAVU}`, ...bundled]);
  });

  const hidden = canHideFonts();
  const whereFontsHide = hidden ? it : IN_CI ? it : it.skip;
  if (!hidden && !IN_CI) console.warn("skipping the no-installed-font label test: unshare --mount is not permitted here (run as root)");

  whereFontsHide(
    "draw a Hangul name (and others) right on a machine with no font installed: not as '?'",
    async () => {
      expect(hidden, "CI=true and this machine cannot make a mount namespace (unshare --mount) to hide its fonts").toBe(true);
      const names = ["김민수", "박지훈", "王小明", "さくら", "محمد علي", "דוד כהן"];
      const run = await drawWithoutInstalledFonts(names, home);
      expect(run.fontsBefore, "the child still sees installed fonts").toEqual([]);
      expect(run.families).toEqual(bundled);
      for (const label of run.labels) {
        const luma: Luma = { width: label.width, height: label.height, data: new Uint8Array(Buffer.from(label.luma, "base64")) };
        // References drawn here, with Debian's Noto (CI installs it): the same designs the npm packages carry.
        const reference = referenceText(
          label.name,
          `26px "Noto Sans", "Noto Sans CJK JP", "Noto Sans Arabic", "Noto Sans Hebrew", sans-serif`,
        );
        const asQuestionMarks = referenceText("?".repeat([...label.name].length), `26px "Noto Sans"`);
        expect(inkSimilarity(luma, reference), `${label.name} drawn with its own glyphs`).toBeGreaterThan(0.8);
        expect(inkSimilarity(luma, asQuestionMarks), `${label.name} drawn as ?`).toBeLessThan(0.5);
      }
    },
    90_000,
  );
});
