// Local camera and microphone: which devices, audio-only when the camera cannot be had, and plain-language
// messages for why they could not be opened.

import { errorDetail, text, type Text } from "./i18n/text.js";

export const CAPTURE = { width: 640, height: 480, frameRate: 30 } as const;

/** The devices could not be opened; `shown` is why, for the page (the message is its key, for the console). */
export class MediaAccessError extends Error {
  override readonly name = "MediaAccessError";

  constructor(readonly shown: Text) {
    super(shown.key);
  }
}

type Permission = PermissionState | "unknown";

export interface MediaFailureFacts {
  /** DOMException name from getUserMedia. */
  errorName: string;
  errorMessage: string;
  camera: Permission;
  microphone: Permission;
  /** Whether a device of that kind is listed by enumerateDevices (null: could not tell). */
  hasCamera: boolean | null;
  hasMicrophone: boolean | null;
}

function both(camera: boolean, microphone: boolean): Text {
  if (camera && microphone) return text("media.cameraAndMicrophone");
  if (camera) return text("media.camera");
  if (microphone) return text("media.microphone");
  return text("media.cameraOrMicrophone");
}

/** The message shown in #error; pure so that it can be tested without a browser. */
export function describeMediaFailure(f: MediaFailureFacts): Text {
  switch (f.errorName) {
    case "NotAllowedError":
    case "PermissionDeniedError": {
      const camera = f.camera === "denied";
      const microphone = f.microphone === "denied";
      return text("media.denied", { what: camera || microphone ? both(camera, microphone) : text("media.cameraAndMicrophone") });
    }
    case "NotFoundError":
    case "DevicesNotFoundError": {
      const camera = f.hasCamera === false;
      const microphone = f.hasMicrophone === false;
      return text("media.notFound", { what: camera || microphone ? both(camera, microphone) : text("media.cameraOrMicrophone") });
    }
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return text("media.busy");
    case "OverconstrainedError":
      return text("media.overconstrained");
    case "SecurityError":
      return text("media.insecure");
    default:
      return text("media.other", { detail: `${f.errorName}${f.errorMessage ? `: ${f.errorMessage}` : ""}` });
  }
}

async function permission(name: string): Promise<Permission> {
  try {
    // "camera" and "microphone" are not in every browser's PermissionName (Firefox throws).
    const status = await navigator.permissions.query({ name: name as PermissionName });
    return status.state;
  } catch {
    return "unknown";
  }
}

async function deviceKinds(): Promise<{ hasCamera: boolean | null; hasMicrophone: boolean | null }> {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return {
      hasCamera: devices.some((d) => d.kind === "videoinput"),
      hasMicrophone: devices.some((d) => d.kind === "audioinput"),
    };
  } catch {
    return { hasCamera: null, hasMicrophone: null };
  }
}

/** Which devices to open ("" or undefined: the browser's default). */
export interface DeviceChoice {
  cameraId?: string;
  microphoneId?: string;
}

export function constraintsFor(choice: DeviceChoice, kinds: { audio: boolean; video: boolean }): MediaStreamConstraints {
  const pick = (id: string | undefined) => (id ? { deviceId: { exact: id } } : {});
  return {
    audio: kinds.audio ? (choice.microphoneId ? pick(choice.microphoneId) : true) : false,
    video: kinds.video ? { width: CAPTURE.width, height: CAPTURE.height, frameRate: CAPTURE.frameRate, ...pick(choice.cameraId) } : false,
  };
}

export type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** What could be opened: the stream, and why a device is missing from it (the first failure's error). */
export interface OpenedMedia {
  stream: MediaStream;
  /** Set when the stream has no camera: the error that kept it out. */
  cameraError?: unknown;
  /** Set when the stream has no microphone. */
  microphoneError?: unknown;
}

/**
 * Camera and microphone together; when that fails, the microphone alone (a denied or missing camera must not
 * keep someone out of a call), then the camera alone. Throws the first error when nothing can be opened.
 */
export async function openWithFallback(getUserMedia: GetUserMedia, choice: DeviceChoice): Promise<OpenedMedia> {
  let first: unknown;
  try {
    return { stream: await getUserMedia(constraintsFor(choice, { audio: true, video: true })) };
  } catch (error) {
    first = error;
  }
  // A secure-context or unsupported failure fails every attempt alike.
  if (first instanceof Error && first.name === "SecurityError") throw first;
  try {
    return { stream: await getUserMedia(constraintsFor(choice, { audio: true, video: false })), cameraError: first };
  } catch (error) {
    try {
      return { stream: await getUserMedia(constraintsFor(choice, { audio: false, video: true })), microphoneError: error };
    } catch {
      throw first;
    }
  }
}

/** The plain-language message for a getUserMedia error, with what the permissions and device lists say. */
export async function explainMediaError(error: unknown): Promise<Text> {
  const errorName = error instanceof Error ? error.name : "Error";
  const errorMessage = errorDetail(error);
  const [camera, microphone, kinds] = await Promise.all([permission("camera"), permission("microphone"), deviceKinds()]);
  return describeMediaFailure({ errorName, errorMessage, camera, microphone, ...kinds });
}

/**
 * Opens the microphone and the camera (640x480, 30 fps), or what of them can be opened. Throws
 * MediaAccessError with a message that says which device is missing or denied. Never called for viewers.
 */
export async function openLocalMedia(choice: DeviceChoice = {}): Promise<OpenedMedia> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaAccessError(text(window.isSecureContext ? "media.unsupported" : "media.needsHttps"));
  }
  try {
    return await openWithFallback((c) => navigator.mediaDevices.getUserMedia(c), choice);
  } catch (error) {
    throw new MediaAccessError(await explainMediaError(error));
  }
}

export function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
