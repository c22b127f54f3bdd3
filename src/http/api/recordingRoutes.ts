import type { Router } from "express";
import { RecordingStateError, WrongModeError } from "../../rooms/conferenceRoom.js";
import { RECORDING_ID, RecordingNotFoundError, type RecordingStore } from "../../recordings/recordingStore.js";
import { InsufficientSpaceError, RecordingFailedError } from "../../recordings/recordingErrors.js";
import { ApiError } from "./apiError.js";
import type { ApiDeps } from "./apiDeps.js";
import { sendFileRange } from "./sendFileRange.js";
import { capabilityOr409, roomOr404 } from "./validate.js";

/**
 * Recordings: start and stop a room's, list them, fetch one (with Range, so a browser can seek), delete
 * one. Ids are checked against the server's own id shape before anything touches the disk.
 */
export function recordingRoutes(router: Router, deps: ApiDeps): void {
  const store = (): RecordingStore => deps.recordings;

  router.post("/rooms/:room/recording/start", async (req, res) => {
    const recording = capabilityOr409(roomOr404(deps.rooms, req.params.room), "recording");
    try {
      res.status(201).json(await recording.startRecording("api"));
    } catch (err) {
      throw recordingError(err);
    }
  });

  router.post("/rooms/:room/recording/stop", async (req, res) => {
    const recording = capabilityOr409(roomOr404(deps.rooms, req.params.room), "recording");
    try {
      res.json(await recording.stopRecording("api"));
    } catch (err) {
      throw recordingError(err);
    }
  });

  router.get("/recordings", async (_req, res) => {
    res.json({ recordings: await store().list() });
  });

  router.get("/recordings/:id", async (req, res) => {
    const id = checkedId(req.params.id);
    if (!(await store().get(id))) throw unknownRecording(id);
    // A file deleted between the lookup and the open is as unknown as one never made.
    if (!(await sendFileRange(req, res, store().mediaPath(id), "video/webm"))) throw unknownRecording(id);
  });

  router.get("/recordings/:id/timeline", async (req, res) => {
    const id = checkedId(req.params.id);
    if (!(await store().get(id))) throw unknownRecording(id);
    if (!(await sendFileRange(req, res, store().timelinePath(id), "application/x-ndjson"))) throw new ApiError(404, "unknown-recording", `recording ${id} has no timeline`);
  });

  router.delete("/recordings/:id", async (req, res) => {
    const id = checkedId(req.params.id);
    try {
      await store().delete(id);
    } catch (err) {
      if (err instanceof RecordingNotFoundError) throw unknownRecording(id);
      if (err instanceof RecordingStateError) throw new ApiError(409, "recording-in-progress", err.message);
      throw err;
    }
    res.status(204).end();
  });
}

function checkedId(id: string): string {
  if (!RECORDING_ID.test(id)) throw new ApiError(400, "bad-recording-id", `"${id.slice(0, 64)}" is not a recording id (they look like 20260101T120000Z-0123abcd)`);
  return id;
}

function unknownRecording(id: string): ApiError {
  return new ApiError(404, "unknown-recording", `no recording ${id}`);
}

function recordingError(err: unknown): unknown {
  if (err instanceof WrongModeError) return new ApiError(409, "wrong-mode", err.message);
  if (err instanceof RecordingStateError) return new ApiError(409, "recording-state", err.message);
  // Both messages are written to be shown (what failed, not where); the paths are in the server's log.
  if (err instanceof InsufficientSpaceError) return new ApiError(507, "insufficient-storage", err.message);
  if (err instanceof RecordingFailedError) return new ApiError(500, "recording-failed", err.message);
  return err;
}
