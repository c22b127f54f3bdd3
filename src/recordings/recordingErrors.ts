/**
 * The errors the recordings layer throws. Their messages go to clients (the API's JSON, the signaling
 * `error` message), so they say what failed and why, never where: file system errors name the absolute
 * path, which stays in the server's log (the original error is the `cause`).
 */

import { ProtocolError } from "../../protocol/protocolError.js";

export type RecordingErrorCode = "recording-failed" | "insufficient-storage";

/** A recording could not be started or written. */
export class RecordingFailedError extends ProtocolError<RecordingErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super("recording-failed", message, options);
  }
}

/** Too little free space where recordings are kept to start one (the API answers 507). */
export class InsufficientSpaceError extends RecordingFailedError {
  // Still a RecordingFailedError (recordingFailure() passes it on as it is), under its own code.
  override readonly code = "insufficient-storage";

  constructor(
    readonly freeBytes: number,
    readonly minFreeBytes: number,
  ) {
    super(
      `not enough free disk space to record: ${formatBytes(freeBytes)} free in RECORDINGS_DIR, at least ${formatBytes(minFreeBytes)} needed`,
    );
  }
}

// What the common errno codes mean, in the words of strerror(3); an fs error's own message would add the path.
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EEXIST: "file already exists",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ENFILE: "too many open files in system",
  EFBIG: "file too large",
  ENAMETOOLONG: "file name too long",
  ELOOP: "too many levels of symbolic links",
};

/** Why `err` happened, without anything it says about paths: "no space left on device (ENOSPC)". */
export function describeFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return `${ERRNO_TEXT[code] ?? "system error"} (${code})`;
  return "unexpected error (see the server log)";
}

/** "could not <what>: <why>", safe to show, with `err` kept as the cause for the log. */
export function recordingFailure(what: string, err: unknown): RecordingFailedError {
  if (err instanceof RecordingFailedError) return err;
  return new RecordingFailedError(`could not ${what}: ${describeFailure(err)}`, { cause: err });
}

export function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
