import type { Router } from "express";
import { z } from "zod";
import { recordingFormats } from "../../../protocol/recordingFormat.js";
import type { RecordingOptions } from "../../rooms/capabilities.js";
import { protocolCodeOf } from "../../../protocol/protocolError.js";
import { mediaContentType, RECORDING_ID, RecordingNotFoundError, type RecordingStore } from "../../recordings/recordingStore.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { serveRecordingFile } from "./recordingFile.js";
import { capability } from "../../rooms/capabilities.js";
import { roomOr404 } from "./validate.js";

/**
 * Recordings: start and stop a room's, list them, fetch one (with Range, so a browser can seek), delete
 * one. Ids are checked against the server's own id shape before anything touches the disk.
 */
export function recordingRoutes(router: Router, deps: ApiDeps): void {
  const store = (): RecordingStore => deps.recordings;

  // Refusals (wrong-mode, recording-state, insufficient-storage, recording-failed) are answered by apiRouter from
  // their code. Their messages are written to be shown (what failed, not where); paths stay in the server's log.
  router.post("/rooms/:room/recording/start", async (req, res) => {
    // A room without the capability (wrong-mode), a recording already running (recording-state), too little
    // space (insufficient-storage): apiRouter answers each by its code.
    // The body first: a request that cannot be right is 400 whatever the room.
    const options = startOptions(req.body);
    res.status(201).json(await capability(roomOr404(deps.rooms, req.params.room), "recording").startRecording("api", options));
  });

  router.post("/rooms/:room/recording/stop", async (req, res) => {
    res.json(await capability(roomOr404(deps.rooms, req.params.room), "recording").stopRecording("api"));
  });

  router.get("/recordings", async (_req, res) => {
    res.json({ recordings: await store().list() });
  });

  router.get("/recordings/:id", async (req, res) => {
    const id = checkedId(req.params.id);
    const info = await store().get(id);
    if (!info?.file) throw unknownRecording(id);
    // On disk, or (uploaded, deleted here) a redirect to its object; a file deleted between the lookup and the open is as unknown as one never made.
    const format = info.format ?? "webm";
    const file = { name: info.file, path: store().mediaPath(id, format), contentType: mediaContentType(format) };
    if (!(await serveRecordingFile(req, res, deps, id, file))) throw unknownRecording(id);
  });

  router.get("/recordings/:id/timeline", async (req, res) => {
    const id = checkedId(req.params.id);
    if (!(await store().get(id))) throw unknownRecording(id);
    const file = { name: `${id}.timeline.jsonl`, path: store().timelinePath(id), contentType: "application/x-ndjson" };
    if (!(await serveRecordingFile(req, res, deps, id, file)))
      throw new ApiError(404, "unknown-recording", `recording ${id} has no timeline`);
  });

  router.delete("/recordings/:id", async (req, res) => {
    const id = checkedId(req.params.id);
    try {
      await store().delete(id);
    } catch (err) {
      if (err instanceof RecordingNotFoundError) throw unknownRecording(id);
      // Deleting, a recording in the wrong state is one still being written.
      if (protocolCodeOf(err) === "recording-state") throw new ApiError(409, "recording-in-progress", (err as Error).message);
      throw err;
    }
    res.status(204).end();
  });
}

function checkedId(id: string): string {
  if (!RECORDING_ID.test(id))
    throw new ApiError(400, "bad-recording-id", `"${id.slice(0, 64)}" is not a recording id (they look like 20260101T120000Z-0123abcd)`);
  return id;
}

function unknownRecording(id: string): ApiError {
  return new ApiError(404, "unknown-recording", `no recording ${id}`);
}

const startBody = z.optional(z.strictObject({ format: z.optional(z.enum(recordingFormats)), voices: z.optional(z.boolean()) }));

/** The start request's optional JSON body `{ "format": "webm" | "mp4", "voices": boolean }`; 400 bad-request naming the problem. */
function startOptions(body: unknown): RecordingOptions {
  const parsed = startBody.safeParse(body ?? undefined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "body";
    throw new ApiError(
      400,
      "bad-request",
      field === "format"
        ? `format must be one of ${recordingFormats.join(", ")}`
        : `${field}: ${issue?.message ?? "not a recording start"} (the body is { "format"?: "webm" | "mp4", "voices"?: boolean })`,
    );
  }
  return parsed.data ?? {};
}
