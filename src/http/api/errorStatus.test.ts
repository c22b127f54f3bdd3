import { describe, expect, it } from "vitest";
import { isErrorCode } from "../../../protocol/errorCodes.js";
import { ProtocolError } from "../../../protocol/protocolError.js";
import { NegotiationError } from "../../peers/peerConnection.js";
import { InsufficientSpaceError, RecordingFailedError, recordingFailure } from "../../recordings/recordingErrors.js";
import { BadSignalError, RateLimitedError, RecordingStateError, UnknownParticipantError, WrongModeError } from "../../rooms/errors.js";
import { API_ERROR_STATUS, apiStatusOf } from "./errorStatus.js";

describe("errors that carry their protocol code", () => {
  const errors = [
    [new WrongModeError("m"), "wrong-mode", 409],
    [new UnknownParticipantError("m"), "unknown-participant", 404],
    [new RecordingStateError("m"), "recording-state", 409],
    [new RateLimitedError("m"), "rate-limited", 429],
    [new RecordingFailedError("m"), "recording-failed", 500],
    [new InsufficientSpaceError(1, 2), "insufficient-storage", 507],
    [new BadSignalError("m"), "bad-message", undefined],
    [new NegotiationError("no-usable-codec", "m"), "no-usable-codec", undefined],
  ] as const;

  it("are ProtocolErrors with their code, their own name and their message", () => {
    for (const [err, code] of errors) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err.code).toBe(code);
      expect(err.name).toBe(err.constructor.name);
    }
    expect(new InsufficientSpaceError(1, 2)).toBeInstanceOf(RecordingFailedError);
    // A recording failure keeps its own code when it is wrapped again.
    expect(recordingFailure("start", new InsufficientSpaceError(1, 2)).code).toBe("insufficient-storage");
    expect(recordingFailure("start", Object.assign(new Error("x"), { code: "ENOSPC" }))).toMatchObject({
      code: "recording-failed",
      message: "could not start: no space left on device (ENOSPC)",
    });
  });

  it("map to the HTTP statuses the control API has always answered them with, and only the codes it can meet", () => {
    for (const [err, , status] of errors) expect(apiStatusOf(err.code), err.code).toBe(status);
    for (const code of Object.keys(API_ERROR_STATUS)) expect(isErrorCode(code), code).toBe(true);
    expect(apiStatusOf("ice-failed")).toBeUndefined();
  });
});
