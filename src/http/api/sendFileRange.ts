import { open, type FileHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { sendApiError } from "./apiError.js";
import { byteRange, type RangeAnswer } from "./byteRange.js";

/**
 * Sends the file at `path` with Range support (byteRange.ts has the rules), or answers false if there
 * is no such file. Ours rather than express's sendFile, whose range parser refuses a suffix longer than
 * the file (416 where RFC 9110 says: the whole file). The file is opened once and measured through the
 * open handle, so a recording still being written is sent as it was at that moment, with a length that
 * matches what is sent.
 */
export async function sendFileRange(req: Request, res: Response, path: string, contentType: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    const { size, mtime } = await handle.stat();
    const lastModified = mtime.toUTCString();
    const range: RangeAnswer = rangeStillValid(req.get("if-range"), lastModified) ? byteRange(req.headers.range, size) : { kind: "whole" };
    res.setHeader("Accept-Ranges", "bytes");
    res.setHeader("Last-Modified", lastModified);
    if (range.kind === "unsatisfiable") {
      res.setHeader("Content-Range", `bytes */${size}`);
      sendApiError(
        res,
        416,
        "range-not-satisfiable",
        `the range "${String(req.headers.range).slice(0, 100)}" starts past the end of the file, which has ${size} bytes`,
      );
      return true;
    }
    const { start, end } = range.kind === "partial" ? range : { start: 0, end: size - 1 };
    res.status(range.kind === "partial" ? 206 : 200);
    res.setHeader("Content-Type", contentType);
    res.setHeader("Content-Length", String(end - start + 1));
    if (range.kind === "partial") res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
    if (req.method === "HEAD" || size === 0) {
      res.end();
      return true;
    }
    try {
      await pipeline(handle.createReadStream({ start, end, autoClose: false }), res);
    } catch {
      // The client went away mid-file (a player seeking drops its last request): nothing to answer.
      res.destroy();
    }
    return true;
  } finally {
    await handle.close();
  }
}

// If-Range: send the range only if the file is still the one the client has part of. No ETag is sent,
// so only the exact Last-Modified date the client was given matches.
function rangeStillValid(ifRange: string | undefined, lastModified: string): boolean {
  return ifRange === undefined || ifRange.trim() === lastModified;
}
