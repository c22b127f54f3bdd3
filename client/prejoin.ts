// The pre-join screen: camera preview, choice of camera and microphone, microphone and camera toggles.
// It owns the preview stream until take() hands it to the call (no second permission prompt, no camera restart).

import { errorDetail, render, text, type Text } from "./i18n/text.js";
import type { Translate } from "./i18n/translator.js";
import { MediaAccessError, explainMediaError, openLocalMedia, stopStream, type OpenedMedia } from "./media.js";

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`tessera: page is missing #${id}`);
  return element;
}

export interface DeviceOption {
  value: string;
  label: string;
}

/**
 * The <option>s for one kind of device. Browsers hide labels until a permission is granted and list the
 * default device twice in some (Chromium's "default" and "communications" aliases): numbered names, no duplicates.
 */
export function deviceOptions(
  devices: readonly Pick<MediaDeviceInfo, "deviceId" | "kind" | "label">[],
  kind: MediaDeviceKind,
  kindName: string,
  t: Translate,
): DeviceOption[] {
  const seen = new Set<string>();
  const out: DeviceOption[] = [];
  for (const d of devices) {
    if (d.kind !== kind || d.deviceId === "" || seen.has(d.deviceId) || d.deviceId === "communications") continue;
    seen.add(d.deviceId);
    out.push({ value: d.deviceId, label: d.label || t("prejoin.deviceN", { kind: kindName, n: out.length + 1 }) });
  }
  return out;
}

/** What the call starts with. */
export interface PreparedMedia {
  /** The preview's stream (camera and/or microphone); undefined: the session opens the devices itself. */
  stream?: MediaStream;
  micMuted: boolean;
  cameraOff: boolean;
}

export class PreJoin {
  readonly box = byId("preview-box", HTMLElement);
  readonly video = byId("preview", HTMLVideoElement);
  readonly note = byId("preview-note", HTMLElement);
  readonly micButton = byId("prejoin-mic", HTMLButtonElement);
  readonly cameraButton = byId("prejoin-camera", HTMLButtonElement);
  readonly cameraSelect = byId("camera-select", HTMLSelectElement);
  readonly micSelect = byId("mic-select", HTMLSelectElement);
  readonly problem = byId("prejoin-note", HTMLElement);

  private opened: OpenedMedia | null = null;
  /** Why no device at all could be opened (the user can still watch). */
  private failure: Text | null = null;
  private cameraProblem: Text | null = null;
  /** Bumped on each open: a slow getUserMedia that a newer one replaced is stopped, not shown. */
  private generation = 0;
  private active = false;

  constructor(
    private readonly t: () => Translate,
    private micMuted: boolean,
    private cameraOff: boolean,
  ) {
    this.micButton.addEventListener("click", () => this.toggleMic());
    this.cameraButton.addEventListener("click", () => this.toggleCamera());
    this.cameraSelect.addEventListener("change", () => void this.open());
    this.micSelect.addEventListener("change", () => void this.open());
  }

  /** Shows the screen and starts the preview (asks for the devices). */
  async start(): Promise<void> {
    this.active = true;
    await this.open();
  }

  /** The screen is left for watching only: the devices are released. */
  stop(): void {
    this.active = false;
    this.generation++;
    stopStream(this.opened?.stream ?? null);
    this.opened = null;
    this.video.srcObject = null;
  }

  /** Hands the preview's stream and toggles to the call; the pre-join no longer owns the stream. */
  take(): PreparedMedia {
    const stream = this.opened?.stream;
    this.opened = null;
    this.active = false;
    this.generation++;
    this.video.srcObject = null;
    return { ...(stream ? { stream } : {}), micMuted: this.micMuted, cameraOff: this.cameraOff };
  }

  /** Whether Join can send anything (else only Watch only makes sense). */
  get canSend(): boolean {
    return this.failure === null;
  }

  private async open(): Promise<void> {
    const generation = ++this.generation;
    stopStream(this.opened?.stream ?? null);
    this.opened = null;
    this.box.dataset.camera = "starting";
    this.draw();
    let opened: OpenedMedia | null = null;
    let failure: Text | null = null;
    try {
      opened = await openLocalMedia({ cameraId: this.cameraSelect.value, microphoneId: this.micSelect.value });
    } catch (error) {
      failure = error instanceof MediaAccessError ? error.shown : text("media.other", { detail: errorDetail(error) });
    }
    if (generation !== this.generation || !this.active) {
      stopStream(opened?.stream ?? null);
      return;
    }
    this.opened = opened;
    this.failure = failure;
    this.cameraProblem = opened?.cameraError ? await explainMediaError(opened.cameraError) : null;
    if (opened) {
      for (const track of opened.stream.getAudioTracks()) track.enabled = !this.micMuted;
      for (const track of opened.stream.getVideoTracks()) track.enabled = !this.cameraOff;
      this.video.srcObject = opened.stream;
      this.video.play().catch(() => undefined);
    }
    await this.listDevices();
    this.draw();
  }

  private async listDevices(): Promise<void> {
    let devices: MediaDeviceInfo[];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const t = this.t();
    const using = (kind: "audio" | "video") =>
      this.opened?.stream
        .getTracks()
        .find((tr) => tr.kind === kind)
        ?.getSettings().deviceId ?? "";
    fill(this.cameraSelect, deviceOptions(devices, "videoinput", t("prejoin.camera"), t), using("video"), t("prejoin.noCamera"));
    fill(this.micSelect, deviceOptions(devices, "audioinput", t("prejoin.microphone"), t), using("audio"), t("prejoin.noMicrophone"));
  }

  private toggleMic(): void {
    this.micMuted = !this.micMuted;
    for (const track of this.opened?.stream.getAudioTracks() ?? []) track.enabled = !this.micMuted;
    this.draw();
  }

  private toggleCamera(): void {
    this.cameraOff = !this.cameraOff;
    for (const track of this.opened?.stream.getVideoTracks() ?? []) track.enabled = !this.cameraOff;
    this.draw();
  }

  /** Redraws the preview's note and buttons (also after a language switch). */
  draw(): void {
    const t = this.t();
    const stream = this.opened?.stream;
    const hasVideo = (stream?.getVideoTracks().length ?? 0) > 0;
    const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
    const starting = this.box.dataset.camera === "starting" && !stream && this.failure === null;
    const camera = starting ? "starting" : !hasVideo ? "none" : this.cameraOff ? "off" : "on";
    this.box.dataset.camera = camera;
    this.note.hidden = camera === "on";
    this.note.textContent = t(
      camera === "starting" ? "prejoin.previewStarting" : camera === "none" ? "prejoin.previewNone" : "prejoin.previewOff",
    );
    this.micButton.textContent = t(this.micMuted ? "call.unmute" : "call.mute");
    this.micButton.setAttribute("aria-pressed", String(this.micMuted));
    this.micButton.disabled = !hasAudio;
    this.cameraButton.textContent = t(!hasVideo && !starting ? "call.noCamera" : this.cameraOff ? "call.cameraOn" : "call.cameraOff");
    this.cameraButton.setAttribute("aria-pressed", String(this.cameraOff || !hasVideo));
    this.cameraButton.disabled = !hasVideo;
    const problem = this.failure ?? (this.cameraProblem ? text("prejoin.audioOnly", { reason: this.cameraProblem }) : null);
    this.problem.hidden = problem === null;
    this.problem.textContent = problem ? render(t, problem) : "";
  }
}

function fill(select: HTMLSelectElement, options: DeviceOption[], current: string, none: string): void {
  const keep = select.value || current;
  if (options.length === 0) {
    const option = new Option(none, "");
    select.replaceChildren(option);
    select.disabled = true;
    return;
  }
  select.replaceChildren(...options.map((o) => new Option(o.label, o.value)));
  select.disabled = false;
  if (options.some((o) => o.value === keep)) select.value = keep;
  else if (options.some((o) => o.value === current)) select.value = current;
}
