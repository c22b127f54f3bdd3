import { describe, expect, it } from "vitest";
import { describeMediaFailure, type MediaFailureFacts } from "./media.js";

const facts = (over: Partial<MediaFailureFacts>): MediaFailureFacts => ({
  errorName: "NotAllowedError",
  errorMessage: "Permission denied",
  camera: "prompt",
  microphone: "prompt",
  hasCamera: true,
  hasMicrophone: true,
  ...over,
});

describe("media failure messages", () => {
  it("names the denied device", () => {
    expect(describeMediaFailure(facts({ camera: "denied" }))).toMatch(/^Access to the camera was denied/);
    expect(describeMediaFailure(facts({ microphone: "denied" }))).toMatch(/^Access to the microphone was denied/);
    expect(describeMediaFailure(facts({ camera: "denied", microphone: "denied" }))).toMatch(/camera and microphone was denied/);
    expect(describeMediaFailure(facts({ camera: "unknown", microphone: "unknown" }))).toMatch(/camera and microphone was denied/);
  });

  it("names the missing device", () => {
    expect(describeMediaFailure(facts({ errorName: "NotFoundError", hasCamera: false }))).toMatch(/^No camera was found/);
    expect(describeMediaFailure(facts({ errorName: "NotFoundError", hasMicrophone: false }))).toMatch(/^No microphone was found/);
    expect(describeMediaFailure(facts({ errorName: "NotFoundError", hasCamera: null, hasMicrophone: null }))).toMatch(
      /^No camera or microphone was found/,
    );
  });

  it("explains a busy device and passes through unknown errors", () => {
    expect(describeMediaFailure(facts({ errorName: "NotReadableError" }))).toMatch(/another application/);
    expect(describeMediaFailure(facts({ errorName: "WeirdError", errorMessage: "boom" }))).toMatch(/WeirdError: boom/);
  });
});
