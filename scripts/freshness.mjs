// Is dist/ current? Shared by scripts/build.mjs (writes the stamp) and scripts/start.mjs (reads it).
// No dependencies: start.mjs imports this on every start, including where esbuild is not installed.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DIST_DIR = join(ROOT, "dist");
export const STAMP = join(DIST_DIR, ".build-stamp");

/**
 * What the build reads. Directories count too (their mtime changes when a file is added, removed or
 * renamed, which no remaining file's mtime shows). The lock file counts because dependencies are bundled.
 */
const INPUT_DIRS = ["src", "mixer", "client"];
const INPUT_FILES = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs", "scripts/freshness.mjs"];

/**
 * Why dist/ must be built, or undefined when it is current: the stamp is missing, or an input is newer.
 * Tests (*.test.ts) are not built, so editing one does not rebuild. An input that does not exist (an
 * image holds dist/ without sources) is not newer than anything.
 */
export function staleReason() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return "dist/ has not been built";
  }
  for (const file of INPUT_FILES) {
    const newer = newerThan(join(ROOT, file), built);
    if (newer) return `${newer} changed since the last build`;
  }
  for (const dir of INPUT_DIRS) {
    const newer = newestUnder(join(ROOT, dir), built);
    if (newer) return `${newer} changed since the last build`;
  }
  return undefined;
}

/** @param {string} path @param {number} than @returns {string | undefined} */
function newerThan(path, than) {
  try {
    return statSync(path).mtimeMs > than ? path.slice(ROOT.length) : undefined;
  } catch {
    return undefined;
  }
}

/** The first path under `dir` (itself included) modified after `than`. @param {string} dir @param {number} than @returns {string | undefined} */
function newestUnder(dir, than) {
  const self = newerThan(dir, than);
  if (self) return self;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const newer = newestUnder(path, than);
      if (newer) return newer;
    } else if (!entry.name.endsWith(".test.ts")) {
      const newer = newerThan(path, than);
      if (newer) return newer;
    }
  }
  return undefined;
}
