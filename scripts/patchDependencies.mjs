// Applies patches/<package>+<version>.patch to node_modules/<package> (npm's postinstall runs it after every
// `npm ci` and `npm install`). The patches are fixes we carry for dependencies until upstream releases them
// (docs/decisions.md says which and why). A patch for another version than the one installed, or one whose
// context no longer matches, stops the install: running with an unpatched dependency is what they prevent.
// A patch already applied is left as it is, so running this twice changes nothing.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @typedef {{ op: " " | "-" | "+"; text: string }} Line */
/** @typedef {{ oldStart: number; lines: Line[] }} Hunk */

/**
 * A `git diff` of one package: the files it changes (paths inside the package) and their hunks.
 * @param {string} text
 */
export function parsePatch(text) {
  /** @type {{ path: string; hunks: Hunk[] }[]} */
  const files = [];
  /** @type {Hunk | undefined} */
  let hunk;
  let previous = "";
  for (const line of text.split("\n")) {
    const header = previous.startsWith("--- ") ? /^\+\+\+ (?:b\/)?(.+)$/.exec(line) : null;
    previous = line;
    if (header) {
      files.push({ path: header[1], hunks: [] });
      hunk = undefined;
      continue;
    }
    const at = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(line);
    if (at) {
      hunk = { oldStart: Number(at[1]), lines: [] };
      files.at(-1)?.hunks.push(hunk);
      continue;
    }
    // A file's header ends the hunk before it.
    if (line.startsWith("diff ")) hunk = undefined;
    if (!hunk || line.startsWith("\\")) continue;
    const op = line[0];
    if (op === " " || op === "-" || op === "+") hunk.lines.push({ op, text: line.slice(1) });
  }
  return files;
}

/**
 * Where `wanted` starts in `lines`, searched outwards from `expected`; -1 when nowhere.
 * @param {string[]} lines @param {string[]} wanted @param {number} expected
 */
function indexOfLines(lines, wanted, expected) {
  /** @param {number} i */
  const matchesAt = (i) => i >= 0 && i + wanted.length <= lines.length && wanted.every((w, k) => lines[i + k] === w);
  for (let d = 0; d <= lines.length; d++) {
    if (matchesAt(expected + d)) return expected + d;
    if (d > 0 && matchesAt(expected - d)) return expected - d;
  }
  return -1;
}

/**
 * The file's text with the hunks applied (or undone), or undefined when a hunk's context is not there.
 * @param {string} text @param {Hunk[]} hunks
 */
export function applyHunks(text, hunks, reverse = false) {
  const lines = text.split("\n");
  let shift = 0;
  for (const hunk of hunks) {
    const from = hunk.lines.filter((l) => l.op !== (reverse ? "-" : "+")).map((l) => l.text);
    const to = hunk.lines.filter((l) => l.op !== (reverse ? "+" : "-")).map((l) => l.text);
    const at = indexOfLines(lines, from, hunk.oldStart - 1 + shift);
    if (at < 0) return undefined;
    lines.splice(at, from.length, ...to);
    shift = at - (hunk.oldStart - 1) + to.length - from.length;
  }
  return lines.join("\n");
}

/** @param {string} patchFile */
function applyPackagePatch(patchFile) {
  const match = /^(.+)\+(\d[^+]*)\.patch$/.exec(patchFile);
  if (!match) throw new Error(`patches/${patchFile}: name it <package>+<version>.patch`);
  const [, name, version] = match;
  const pkgDir = join(root, "node_modules", ...name.split("+"));
  const installed = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  if (installed !== version)
    throw new Error(`patches/${patchFile} is for ${name} ${version}, but ${installed} is installed: port the patch (docs/decisions.md)`);
  let applied = 0;
  for (const file of parsePatch(readFileSync(join(root, "patches", patchFile), "utf8"))) {
    const path = join(pkgDir, file.path);
    const text = readFileSync(path, "utf8");
    const patched = applyHunks(text, file.hunks);
    const original = applyHunks(text, file.hunks, true);
    if (patched !== undefined && original === undefined) {
      writeFileSync(path, patched);
      applied++;
    } else if (patched !== undefined || original === undefined) {
      // Neither, or both (a hunk whose context appears twice): which state the file is in cannot be told.
      throw new Error(
        `patches/${patchFile}: ${file.path} in ${name} ${version} matches ${patched === undefined ? "neither" : "both"} the patch's original ${patched === undefined ? "nor" : "and"} its result`,
      );
    }
  }
  return { name, version, applied };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  /** @type {string[]} */
  let patchFiles = [];
  try {
    patchFiles = readdirSync(join(root, "patches")).filter((f) => f.endsWith(".patch"));
  } catch {
    // No patches/ folder: nothing to apply.
  }
  for (const f of patchFiles.sort()) {
    const { name, version, applied } = applyPackagePatch(f);
    console.log(`patches: ${name} ${version}: ${applied ? `${applied} files patched` : "already patched"}`);
  }
}
