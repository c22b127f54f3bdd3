// A sender's camera and microphone during a call: the stream, and whether each is muted. The owner of both;
// the session tells the server, the Ui shows the buttons.

import type { TesseraView } from "./automation.js";
import type { ClientMessageInput } from "../protocol/messages.js";
import type { PreparedMedia } from "./prejoin.js";

/** The buttons and the self-view (Ui). */
export interface DeviceSurface {
  setMicMuted(muted: boolean): void;
  /** `none`: joined without a camera. */
  setCameraOff(off: boolean | "none"): void;
  showSelf(stream: MediaStream): void;
}

export class LocalDevices {
  private local: MediaStream | null = null;
  private micMuted = false;
  private cameraOff = false;

  constructor(
    private readonly surface: DeviceSurface,
    private readonly view: TesseraView,
  ) {}

  /** The camera and microphone for the media objects; null for a viewer (or after stop). */
  get stream(): MediaStream | null {
    return this.local;
  }

  /** What a reload must bring back (redirect.ts's rejoinAddress). */
  get muted(): { micMuted: boolean; cameraOff: boolean } {
    return { micMuted: this.micMuted, cameraOff: this.cameraOff };
  }

  /** Takes the call's stream with the pre-join's toggles; no camera (none, or denied) joins with sound only, shown as camera off. */
  adopt(stream: MediaStream, prepared: PreparedMedia): void {
    this.local = stream;
    this.micMuted = prepared.micMuted || stream.getAudioTracks().length === 0;
    const noCamera = stream.getVideoTracks().length === 0;
    this.cameraOff = prepared.cameraOff || noCamera;
    for (const track of stream.getAudioTracks()) track.enabled = !this.micMuted;
    for (const track of stream.getVideoTracks()) track.enabled = !this.cameraOff;
    this.view.audioOnly = noCamera;
    this.surface.setMicMuted(this.micMuted);
    this.surface.setCameraOff(noCamera ? "none" : this.cameraOff);
    this.surface.showSelf(stream);
  }

  /** The mute message for the server, or null when there is nothing to toggle. */
  toggleMic(): ClientMessageInput | null {
    if (!this.local) return null;
    this.micMuted = !this.micMuted;
    for (const track of this.local.getAudioTracks()) track.enabled = !this.micMuted;
    this.surface.setMicMuted(this.micMuted);
    return { type: "mute", audio: this.micMuted };
  }

  toggleCamera(): ClientMessageInput | null {
    if (!this.local || this.local.getVideoTracks().length === 0) return null;
    this.cameraOff = !this.cameraOff;
    for (const track of this.local.getVideoTracks()) track.enabled = !this.cameraOff;
    this.surface.setCameraOff(this.cameraOff);
    return { type: "mute", video: this.cameraOff };
  }

  /** After `joined`: the mute choices made before the server knew us. */
  joinMessages(): ClientMessageInput[] {
    return [
      ...(this.micMuted ? [{ type: "mute", audio: true } as const] : []),
      ...(this.cameraOff ? [{ type: "mute", video: true } as const] : []),
    ];
  }

  stop(): void {
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.local = null;
  }
}
