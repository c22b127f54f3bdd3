import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { GlobalFonts } from "@napi-rs/canvas";

/**
 * The families labels are drawn with when LABEL_FONT is unset, in order of preference: Debian's Noto
 * (fonts-noto-core: Latin, Greek, Cyrillic, Arabic, Hebrew, Indic, Thai; fonts-noto-cjk: Hangul, kana,
 * Han; fonts-noto-color-emoji), then DejaVu (what ffmpeg's fontconfig pulls in anyway). Skia picks a
 * family per character from this list, then from any other installed font that has it. Skia reads the
 * first face of Noto's CJK collection, the Japanese one: Hangul is the same in every face; Han
 * characters take their Japanese forms.
 */
export const DEFAULT_LABEL_FAMILIES = [
  "Noto Sans",
  "Noto Sans CJK JP",
  "Noto Sans Arabic",
  "Noto Sans Hebrew",
  "Noto Sans Devanagari",
  "Noto Sans Thai",
  "Noto Color Emoji",
  "DejaVu Sans",
] as const;

/** What a room's mixer draws labels with, resolved once at start-up (resolveLabelFont). */
export interface LabelFont {
  /**
   * Installed families in order of preference. Empty: no font is installed at all, and labels fall
   * back to the built-in 8x8 ASCII font (other scripts show as "?"), which the server warns about.
   */
  readonly families: readonly string[];
}

export class LabelFontError extends Error {}

const INSTALL_HINT = "install Debian's fonts-noto-core and fonts-noto-cjk (or any font), or point LABEL_FONT at a font file or directory";

/**
 * LABEL_FONT, read: a comma-separated list of font family names and/or absolute paths of font files or
 * directories of them (registered here, their families put where the path stands in the list). Unset:
 * DEFAULT_LABEL_FAMILIES, those installed. A setting that names a family not installed, or a path with
 * no font in it, is refused with an error naming it, so a mistyped font is found at start-up rather than
 * by someone whose name is drawn in a fallback font.
 */
export function resolveLabelFont(setting: string | undefined): LabelFont {
  const entries = setting?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
  if (entries.length === 0) {
    if (setting !== undefined && setting.trim() !== "") throw new LabelFontError("LABEL_FONT names no font");
    const installed = DEFAULT_LABEL_FAMILIES.filter((f) => GlobalFonts.has(f));
    // Any other font still beats the bitmap one: Skia falls back to it for every character it covers.
    if (installed.length === 0 && GlobalFonts.families.length > 0) return { families: [GlobalFonts.families[0].family] };
    return { families: installed };
  }
  const families: string[] = [];
  for (const entry of entries) {
    for (const family of isAbsolute(entry) ? registerPath(entry) : [checkedFamily(entry)]) {
      if (!families.includes(family)) families.push(family);
    }
  }
  return { families };
}

function checkedFamily(family: string): string {
  if (GlobalFonts.has(family)) return family;
  const known = GlobalFonts.families.map((f) => f.family);
  const some = known.length === 0 ? `no font is installed at all: ${INSTALL_HINT}` : `installed families include ${known.slice(0, 8).map((f) => `"${f}"`).join(", ")}`;
  throw new LabelFontError(`LABEL_FONT: font family "${family}" is not installed (${some})`);
}

const FONT_FILE = /\.(ttf|otf|ttc|woff2?)$/i;

/**
 * Registers a font file, or every font file in a directory (not below it), each under a family name of
 * its own: a file already installed as a system font keeps its place in the list all the same.
 */
function registerPath(path: string): string[] {
  if (!existsSync(path)) throw new LabelFontError(`LABEL_FONT: "${path}" does not exist`);
  const files = statSync(path).isDirectory() ? readdirSync(path).filter((f) => FONT_FILE.test(f)).sort().map((f) => join(path, f)) : [path];
  if (files.length === 0) throw new LabelFontError(`LABEL_FONT: no font file (.ttf, .otf, .ttc, .woff, .woff2) in the directory "${path}"`);
  return files.map((file) => {
    const alias = `LABEL_FONT ${file}`;
    if (!GlobalFonts.registerFromPath(file, alias)) throw new LabelFontError(`LABEL_FONT: "${file}" is not a font file Skia can read (TTF, OTF, TTC, WOFF)`);
    return alias;
  });
}
