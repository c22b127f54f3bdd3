// Local camera and microphone, and plain-language messages for why they could not be opened.

export const CAPTURE = { width: 640, height: 480, frameRate: 30 } as const;

export class MediaAccessError extends Error {
  override readonly name = "MediaAccessError";
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

function both(camera: boolean, microphone: boolean): string {
  if (camera && microphone) return "camera and microphone";
  if (camera) return "camera";
  if (microphone) return "microphone";
  return "camera or microphone";
}

/** The message shown in #error; pure so that it can be tested without a browser. */
export function describeMediaFailure(f: MediaFailureFacts): string {
  switch (f.errorName) {
    case "NotAllowedError":
    case "PermissionDeniedError": {
      const camera = f.camera === "denied";
      const microphone = f.microphone === "denied";
      const what = camera || microphone ? both(camera, microphone) : "camera and microphone";
      return (
        `Access to the ${what} was denied. Allow it in the browser's site settings (and the system's privacy ` +
        `settings), then join again, or join as a viewer to watch without sending.`
      );
    }
    case "NotFoundError":
    case "DevicesNotFoundError": {
      const camera = f.hasCamera === false;
      const microphone = f.hasMicrophone === false;
      const what = camera || microphone ? both(camera, microphone) : "camera or microphone";
      return `No ${what} was found. Connect one and join again, or join as a viewer to watch without sending.`;
    }
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "The camera or microphone could not be started; another application may be using it.";
    case "OverconstrainedError":
      return "The camera cannot capture at 640x480; try another camera.";
    case "SecurityError":
      return "Camera and microphone access is blocked on this page (it must be served over HTTPS or from localhost).";
    default:
      return `The camera and microphone could not be opened (${f.errorName}${f.errorMessage ? `: ${f.errorMessage}` : ""}).`;
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

/**
 * Opens the microphone and the camera (640x480, 30 fps). Throws MediaAccessError with a message that
 * says which device is missing or denied. Never called for viewers.
 */
export async function openLocalMedia(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaAccessError(
      window.isSecureContext
        ? "This browser cannot capture a camera and microphone."
        : "Camera and microphone need a secure page: open Tessera over HTTPS (or on localhost).",
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: CAPTURE.width, height: CAPTURE.height, frameRate: CAPTURE.frameRate },
    });
  } catch (error) {
    const errorName = error instanceof Error ? error.name : "Error";
    const errorMessage = error instanceof Error ? error.message : String(error);
    const [camera, microphone, kinds] = await Promise.all([permission("camera"), permission("microphone"), deviceKinds()]);
    throw new MediaAccessError(describeMediaFailure({ errorName, errorMessage, camera, microphone, ...kinds }));
  }
}

export function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
