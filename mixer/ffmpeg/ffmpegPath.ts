import { accessSync, chmodSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * The ffmpeg binary: FFMPEG_PATH when set, else the static build from @ffmpeg-installer/ffmpeg.
 * npm 11 may skip that package's postinstall `chmod u+x`, so the bit is restored here rather than
 * failing on the first spawn with EACCES.
 */
export function resolveFfmpegPath(override: string | undefined = process.env.FFMPEG_PATH): string {
  if (override) return override;
  const installer = require("@ffmpeg-installer/ffmpeg") as { path: string };
  ensureExecutable(installer.path);
  return installer.path;
}

function ensureExecutable(path: string): void {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    chmodSync(path, statSync(path).mode | 0o111);
  }
}
