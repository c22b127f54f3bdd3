import type { Request, Response } from "express";
import type { ApiDeps } from "./apiDeps.js";
import { sendFileRange } from "./sendFileRange.js";

/**
 * One of a recording's files: streamed from RECORDINGS_DIR (with Range) while it is there; once it was
 * uploaded and deleted locally, a 302 to a presigned GET of its object (valid RECORDING_LINK_TTL_S, at
 * most 7 days), with `disposition` as the object's Content-Disposition. False when it is in neither place.
 */
export async function serveRecordingFile(
  req: Request,
  res: Response,
  deps: ApiDeps,
  id: string,
  file: { name: string; path: string; contentType: string; disposition?: string },
): Promise<boolean> {
  if (file.disposition) res.setHeader("Content-Disposition", file.disposition);
  if (await sendFileRange(req, res, file.path, file.contentType)) return true;
  const url = await deps.recordings.objectUrl(id, file.name, file.contentType, deps.config.recordingLinkTtlS, file.disposition);
  if (!url) return false;
  res.removeHeader("Content-Disposition");
  res.setHeader("Cache-Control", "private, no-store");
  res.redirect(302, url);
  return true;
}
