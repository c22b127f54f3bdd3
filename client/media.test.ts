import { describe, expect, it } from "vitest";
import { render } from "./i18n/text.js";
import { Translator } from "./i18n/translator.js";
import { constraintsFor, describeMediaFailure, openWithFallback, type MediaFailureFacts } from "./media.js";

const facts = (over: Partial<MediaFailureFacts>): MediaFailureFacts => ({
  errorName: "NotAllowedError",
  errorMessage: "Permission denied",
  camera: "prompt",
  microphone: "prompt",
  hasCamera: true,
  hasMicrophone: true,
  ...over,
});
const { t } = new Translator("en");
const describeEn = (f: MediaFailureFacts) => render(t, describeMediaFailure(f));

describe("media failure messages", () => {
  it("names the denied device", () => {
    expect(describeEn(facts({ camera: "denied" }))).toMatch(/^Access to the camera was denied/);
    expect(describeEn(facts({ microphone: "denied" }))).toMatch(/^Access to the microphone was denied/);
    expect(describeEn(facts({ camera: "denied", microphone: "denied" }))).toMatch(/camera and microphone was denied/);
    expect(describeEn(facts({ camera: "unknown", microphone: "unknown" }))).toMatch(/camera and microphone was denied/);
  });

  it("names the missing device", () => {
    expect(describeEn(facts({ errorName: "NotFoundError", hasCamera: false }))).toMatch(/^No camera was found/);
    expect(describeEn(facts({ errorName: "NotFoundError", hasMicrophone: false }))).toMatch(/^No microphone was found/);
    expect(describeEn(facts({ errorName: "NotFoundError", hasCamera: null, hasMicrophone: null }))).toMatch(
      /^No camera or microphone was found/,
    );
  });

  it("explains a busy device and passes through unknown errors", () => {
    expect(describeEn(facts({ errorName: "NotReadableError" }))).toMatch(/another application/);
    expect(describeEn(facts({ errorName: "WeirdError", errorMessage: "boom" }))).toMatch(/WeirdError: boom/);
  });

  it("speaks Korean when asked", () => {
    expect(render(new Translator("ko").t, describeMediaFailure(facts({ camera: "denied" })))).toMatch(/^카메라 접근이 거부되었습니다/);
  });
});

// A stand-in for getUserMedia that refuses what a user denied; the streams are opaque tokens here.
function fakeGetUserMedia(denied: { audio?: boolean; video?: boolean }) {
  const asked: MediaStreamConstraints[] = [];
  const fn = async (c: MediaStreamConstraints) => {
    asked.push(c);
    if ((c.audio && denied.audio) || (c.video && denied.video))
      throw Object.assign(new Error("Permission denied"), { name: "NotAllowedError" });
    return { audio: Boolean(c.audio), video: Boolean(c.video) } as unknown as MediaStream;
  };
  return { fn, asked };
}

describe("opening devices", () => {
  it("asks for the chosen devices exactly, and the defaults otherwise", () => {
    expect(constraintsFor({ cameraId: "cam2", microphoneId: "mic3" }, { audio: true, video: true })).toEqual({
      audio: { deviceId: { exact: "mic3" } },
      video: { width: 640, height: 480, frameRate: 30, deviceId: { exact: "cam2" } },
    });
    expect(constraintsFor({}, { audio: true, video: false })).toEqual({ audio: true, video: false });
  });

  it("a denied camera gives the microphone alone, with the camera's error", async () => {
    const { fn, asked } = fakeGetUserMedia({ video: true });
    const opened = await openWithFallback(fn, {});
    expect(opened.stream).toEqual({ audio: true, video: false });
    expect((opened.cameraError as Error).name).toBe("NotAllowedError");
    expect(asked).toHaveLength(2);
  });

  it("a denied microphone gives the camera alone; both denied throws the first error", async () => {
    expect((await openWithFallback(fakeGetUserMedia({ audio: true }).fn, {})).stream).toEqual({ audio: false, video: true });
    await expect(openWithFallback(fakeGetUserMedia({ audio: true, video: true }).fn, {})).rejects.toThrow("Permission denied");
  });

  it("both allowed opens once", async () => {
    const { fn, asked } = fakeGetUserMedia({});
    expect((await openWithFallback(fn, {})).cameraError).toBeUndefined();
    expect(asked).toHaveLength(1);
  });
});
