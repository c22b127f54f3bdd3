import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
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

/** A font that comes with `npm ci` (Fontsource's variable Noto: woff2 files, each a slice of the characters). */
export interface BundledFont {
  /** The npm package; its `files/*-wght-normal.woff2` are registered (not the italic or width-axis copies). */
  readonly pkg: string;
  /**
   * The family its files are registered under: a name of its own, so an installed font of the real name
   * keeps its place, and the log says which one a machine draws with.
   */
  readonly family: string;
  /** The entry of DEFAULT_LABEL_FAMILIES it stands in for: used (and registered) only where that is not installed. */
  readonly standsFor: (typeof DEFAULT_LABEL_FAMILIES)[number];
}

/**
 * The fonts every machine has after `npm ci`, so names are drawn right where no font is installed (a bare
 * container, a fresh VM): Latin, Greek, Cyrillic, Vietnamese and Devanagari; Hangul first (the first users
 * are Korean), then Japanese and Simplified Chinese for the Han characters and kana Korean's set lacks;
 * Arabic; Hebrew. Sizes and licences: docs/decisions.md, "Fonts that come with npm ci".
 */
export const BUNDLED_FONTS: readonly BundledFont[] = [
  { pkg: "@fontsource-variable/noto-sans", family: "Noto Sans (npm)", standsFor: "Noto Sans" },
  { pkg: "@fontsource-variable/noto-sans-kr", family: "Noto Sans KR (npm)", standsFor: "Noto Sans CJK JP" },
  { pkg: "@fontsource-variable/noto-sans-jp", family: "Noto Sans JP (npm)", standsFor: "Noto Sans CJK JP" },
  { pkg: "@fontsource-variable/noto-sans-sc", family: "Noto Sans SC (npm)", standsFor: "Noto Sans CJK JP" },
  { pkg: "@fontsource-variable/noto-sans-arabic", family: "Noto Sans Arabic (npm)", standsFor: "Noto Sans Arabic" },
  { pkg: "@fontsource-variable/noto-sans-hebrew", family: "Noto Sans Hebrew (npm)", standsFor: "Noto Sans Hebrew" },
];

export interface LabelFontOptions {
  /**
   * false: installed fonts count as absent (every bundled font is used in their place), to check what a
   * machine with no font installed draws. Default true.
   */
  readonly systemFonts?: boolean;
}

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
 * DEFAULT_LABEL_FAMILIES, each the installed family or, where it is not installed, the BUNDLED_FONTS that
 * stand in for it. Set: its families, then the bundled fonts of the scripts no installed default covers,
 * for the characters its fonts lack. An installed font always comes before its bundled stand-in, and a
 * bundled font is not even loaded where its script is installed. A setting that names a family not
 * installed, or a path with no font in it, is refused with an error naming it, so a mistyped font is found
 * at start-up rather than by someone whose name is drawn in a fallback font.
 */
export function resolveLabelFont(setting: string | undefined, options: LabelFontOptions = {}): LabelFont {
  const installed = options.systemFonts === false ? () => false : (family: string) => GlobalFonts.has(family);
  const entries =
    setting
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  if (entries.length === 0) {
    if (setting !== undefined && setting.trim() !== "") throw new LabelFontError("LABEL_FONT names no font");
    const families = DEFAULT_LABEL_FAMILIES.flatMap((f) => (installed(f) ? [f] : bundledFamilies(f)));
    // Any other font still beats the bitmap one: Skia falls back to it for every character it covers.
    if (families.length === 0 && options.systemFonts !== false && GlobalFonts.families.length > 0)
      return { families: [GlobalFonts.families[0].family] };
    return { families };
  }
  const families: string[] = [];
  for (const entry of entries) {
    for (const family of isAbsolute(entry) ? registerPath(entry) : [checkedFamily(entry)]) {
      if (!families.includes(family)) families.push(family);
    }
  }
  const missing = DEFAULT_LABEL_FAMILIES.filter((f) => !installed(f)).flatMap(bundledFamilies);
  return { families: [...families, ...missing.filter((f) => !families.includes(f))] };
}

/** The bundled families standing in for `family`, registered (once per process: GlobalFonts is the process's). */
function bundledFamilies(family: string): string[] {
  return BUNDLED_FONTS.filter((font) => font.standsFor === family).flatMap((font) => (registerBundled(font) ? [font.family] : []));
}

const BUNDLED_FILE = /-wght-normal\.woff2$/;

/** False when the package is not installed (a trimmed node_modules) or none of its files loads. */
function registerBundled(font: BundledFont): boolean {
  if (GlobalFonts.has(font.family)) return true;
  let dir: string;
  try {
    // The package exports only its CSS: its directory is that file's.
    dir = join(dirname(createRequire(import.meta.url).resolve(font.pkg)), "files");
  } catch {
    return false;
  }
  if (!existsSync(dir)) return false;
  let loaded = 0;
  for (const file of readdirSync(dir)
    .filter((f) => BUNDLED_FILE.test(f))
    .sort()) {
    if (GlobalFonts.registerFromPath(join(dir, file), font.family)) loaded++;
  }
  return loaded > 0;
}

function checkedFamily(family: string): string {
  if (GlobalFonts.has(family)) return family;
  const known = GlobalFonts.families.map((f) => f.family);
  const some =
    known.length === 0
      ? `no font is installed at all: ${INSTALL_HINT}`
      : `installed families include ${known
          .slice(0, 8)
          .map((f) => `"${f}"`)
          .join(", ")}`;
  throw new LabelFontError(`LABEL_FONT: font family "${family}" is not installed (${some})`);
}

const FONT_FILE = /\.(ttf|otf|ttc|woff2?)$/i;

/**
 * Registers a font file, or every font file in a directory (not below it), each under a family name of
 * its own: a file already installed as a system font keeps its place in the list all the same.
 */
function registerPath(path: string): string[] {
  if (!existsSync(path)) throw new LabelFontError(`LABEL_FONT: "${path}" does not exist`);
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => FONT_FILE.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new LabelFontError(`LABEL_FONT: no font file (.ttf, .otf, .ttc, .woff, .woff2) in the directory "${path}"`);
  return files.map((file) => {
    const alias = `LABEL_FONT ${file}`;
    if (!GlobalFonts.registerFromPath(file, alias))
      throw new LabelFontError(`LABEL_FONT: "${file}" is not a font file Skia can read (TTF, OTF, TTC, WOFF)`);
    return alias;
  });
}
