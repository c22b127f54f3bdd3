import { execFileSync } from "node:child_process";
import { closeSync, ftruncateSync, fstatSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk {
  /** The mount point: an empty tmpfs of the asked size. */
  readonly dir: string;
  /** Fills the file system, then frees `leaveBytes` (rounded to whole 4 KiB pages, tmpfs's unit). */
  fill(leaveBytes: number): void;
  unmount(): void;
}

const PAGE = 4096;

/**
 * Why a small disk cannot be had here (mount needs root), or undefined if it can: tried once, with a
 * tmpfs mounted and unmounted at once, so a suite can decide to skip before it mounts anything.
 */
export function smallDiskUnavailable(): string | undefined {
  try {
    mountSmallDisk(64 * 1024).unmount();
    return undefined;
  } catch (err) {
    const detail = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
    return `cannot mount a tmpfs to fill (needs root): ${detail}`;
  }
}

/** A real, tiny file system (tmpfs) to fill, for a full disk without filling the real one. Throws without root. */
export function mountSmallDisk(sizeBytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), "tessera-small-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const filler = join(dir, "filler");
  return {
    dir,
    fill(leaveBytes: number) {
      const fd = openSync(filler, "a");
      try {
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        }
        const full = fstatSync(fd).size;
        const keep = Math.floor(full / PAGE) * PAGE - Math.ceil(leaveBytes / PAGE) * PAGE;
        ftruncateSync(fd, Math.max(0, keep));
      } finally {
        closeSync(fd);
      }
    },
    unmount() {
      try {
        execFileSync("umount", [dir], { stdio: "pipe" });
      } catch {
        // Busy (a failed test left a file open): detach it now; the kernel frees it when the file closes.
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
