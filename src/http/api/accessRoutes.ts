import { timingSafeEqual } from "node:crypto";
import type { Request, Router } from "express";
import { z } from "zod";
import { joinLink } from "../../access/joinLink.js";
import { DEFAULT_TOKEN_TTL_S, MAX_TOKEN_TTL_S, mintJoinToken, verifyJoinToken } from "../../access/joinToken.js";
import { recordingDisposition } from "../../access/recordingLinks.js";
import { mediaContentType, RECORDING_ID } from "../../recordings/recordingStore.js";
import { ROLES } from "../../../protocol/messages.js";
import { roomNameSchema } from "../../../protocol/roomName.js";
import { displayNameSchema } from "../../../protocol/displayName.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { serveRecordingFile } from "./recordingFile.js";
import { parseBody } from "./validate.js";

const mintSchema = z.strictObject({
  room: roomNameSchema,
  name: displayNameSchema,
  role: z.enum(ROLES).default("sender"),
  record: z.boolean().default(false),
  ttlSeconds: z.number().int().min(10).max(MAX_TOKEN_TTL_S).default(DEFAULT_TOKEN_TTL_S),
  /** Identity; random when left out. A service passes its own user id so a second tab replaces the first. */
  sub: z.string().min(1).max(128).optional(),
});

/** The base of links handed out: PUBLIC_URL, else the address this request came to. */
export function publicBase(deps: ApiDeps, req: Request): string {
  return deps.config.publicUrl ?? `${req.protocol}://${req.get("host") ?? "localhost"}`;
}

/** Behind the API token: minting join tokens. */
export function tokenRoutes(router: Router, deps: ApiDeps): void {
  router.post("/tokens", async (req, res) => {
    const secret = deps.config.joinTokenSecret;
    if (!secret) throw new ApiError(409, "tokens-disabled", "join tokens are off: set JOIN_TOKEN_SECRET to mint them");
    const body = parseBody(mintSchema, req.body);
    const token = await mintJoinToken(secret, body);
    res.status(201).json({ token, url: joinLink(publicBase(deps, req), body, token) });
  });
}

/**
 * Before the API token check: a signed link to a recording (asked for with the API token, or a join token that
 * may record, for its own room's recordings), and the download the link opens, which needs no header at all.
 */
export function recordingLinkRoutes(router: Router, deps: ApiDeps): void {
  router.get("/recordings/:id/url", async (req, res) => {
    const id = checkedId(req.params.id);
    const info = await deps.recordings.get(id);
    await authorizeLink(deps, req, info?.room);
    if (!info) throw new ApiError(404, "unknown-recording", `no recording ${id}`);
    const { query, expiresAt } = deps.links.sign(id);
    res
      .set("Cache-Control", "no-store")
      .json({ url: `${publicBase(deps, req)}/api/recordings/${id}/download?${query}`, expiresAt: expiresAt.toISOString() });
  });

  router.get("/recordings/:id/download", async (req, res) => {
    const id = req.params.id;
    // Shape, signature and expiry before the disk is touched: an unsigned probe learns nothing about which ids exist.
    const check = RECORDING_ID.test(id)
      ? deps.links.check(id, req.query.expires, req.query.signature)
      : ({ ok: false, reason: "bad-signature" } as const);
    if (!check.ok) {
      deps.log.warn("recording link refused", { reason: check.reason });
      throw new ApiError(
        403,
        check.reason === "expired" ? "link-expired" : "bad-link",
        check.reason === "expired"
          ? "this recording link has expired: ask for a new one"
          : "this recording link is not valid (altered or signed by another server)",
      );
    }
    const info = await deps.recordings.get(id);
    if (!info?.file) throw new ApiError(404, "unknown-recording", `no recording ${id}`);
    const format = info.format ?? "webm";
    res.setHeader("Cache-Control", "private, no-store");
    // From disk while it is there (RECORDINGS_S3_KEEP_LOCAL, or not uploaded yet), else a redirect to its object.
    const file = {
      name: info.file,
      path: deps.recordings.mediaPath(id, format),
      contentType: mediaContentType(format),
      disposition: recordingDisposition(info.room, info.startedAt, format),
    };
    if (!(await serveRecordingFile(req, res, deps, id, file))) throw new ApiError(404, "unknown-recording", `no recording ${id}`);
  });
}

/** The API token, or a join token with `record` for the recording's room; else 401/403 naming why. */
async function authorizeLink(deps: ApiDeps, req: Request, recordingRoom: string | undefined): Promise<void> {
  const bearer = /^Bearer (.+)$/i.exec(req.get("authorization") ?? "")?.[1];
  if (!bearer) throw new ApiError(401, "unauthorized", "send Authorization: Bearer <API_TOKEN>, or a join token that may record");
  const api = deps.config.apiToken;
  if (api !== undefined && bearer.length === api.length && timingSafeEqual(Buffer.from(bearer), Buffer.from(api))) return;
  const secret = deps.config.joinTokenSecret;
  if (!secret) throw new ApiError(401, "unauthorized", "the bearer token is not the configured API_TOKEN");
  const check = await verifyJoinToken(secret, bearer);
  if (!check.ok) {
    deps.log.warn("recording link refused: join token", { reason: check.reason });
    throw new ApiError(401, "unauthorized", `neither the API token nor a valid join token: ${check.message}`);
  }
  if (!check.grant.record)
    throw new ApiError(403, "forbidden", "this join token does not allow recording (record: true), so no recording links either");
  // Unknown ids answer 403 here too: a join token must not learn which recordings exist in other rooms.
  if (recordingRoom !== check.grant.room)
    throw new ApiError(403, "forbidden", `this join token is for room "${check.grant.room}", and this recording is not that room's`);
}

function checkedId(id: string): string {
  if (!RECORDING_ID.test(id))
    throw new ApiError(400, "bad-recording-id", `"${id.slice(0, 64)}" is not a recording id (they look like 20260101T120000Z-0123abcd)`);
  return id;
}
