// Everything that touches the DOM of the call and the page frame. No signaling or WebRTC logic here.
// The pre-join screen's devices and preview are prejoin.ts.

import { mixOrientation } from "./display.js";
import { isRoomMode, type ParticipantInfo, type RecordingState, type Role, type RoomMode } from "../protocol/messages.js";
import { emptyState, type EmptyState } from "./emptyState.js";
import type { MessageKey } from "./i18n/en.js";
import { render, text, type Text } from "./i18n/text.js";
import type { Translator } from "./i18n/translator.js";
import { RemoteVideos } from "./remotes.js";

/** Machine-readable connection state, in #status[data-state] and window.tessera.state. */
export type ClientState = "idle" | "connecting" | "connected" | "failed" | "left";

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`tessera: page is missing #${id}`);
  return element;
}

const MODE_KEYS: Record<RoomMode, [MessageKey, MessageKey]> = {
  mcu: ["mode.mcu", "mode.mcuTitle"],
  sfu: ["mode.sfu", "mode.sfuTitle"],
  mesh: ["mode.mesh", "mode.meshTitle"],
};

const RECORDING_LINK_ID = "recording-link";

/** Below the stage on an upright phone: the controls row and a little of the roster stay in view. */
const UPRIGHT_RESERVED_PX = 150;

export class Ui {
  readonly form = byId("join-form", HTMLFormElement);
  readonly roomInput = byId("room-input", HTMLInputElement);
  readonly nameInput = byId("name-input", HTMLInputElement);
  readonly modeSelect = byId("mode-select", HTMLSelectElement);
  readonly more = byId("more", HTMLDetailsElement);
  readonly joinButton = byId("join", HTMLButtonElement);
  readonly watchButton = byId("watch", HTMLButtonElement);
  readonly call = byId("call", HTMLElement);
  readonly stage = byId("stage", HTMLElement);
  readonly mixed = byId("mixed", HTMLVideoElement);
  readonly remotesBox = byId("remotes", HTMLElement);
  readonly self = byId("self", HTMLVideoElement);
  readonly selfBox = byId("self-box", HTMLElement);
  readonly selfToggle = byId("self-toggle", HTMLButtonElement);
  readonly enableSound = byId("enable-sound", HTMLButtonElement);
  readonly mixPaused = byId("mix-paused", HTMLElement);
  readonly muteMic = byId("mute-mic", HTMLButtonElement);
  readonly cameraOff = byId("camera-off", HTMLButtonElement);
  readonly leave = byId("leave", HTMLButtonElement);
  readonly record = byId("record", HTMLButtonElement);
  readonly shareScreen = byId("share-screen", HTMLButtonElement);
  readonly recIndicator = byId("rec", HTMLElement);
  readonly status = byId("status", HTMLElement);
  readonly error = byId("error", HTMLElement);
  readonly errorText = byId("error-text", HTMLElement);
  readonly joinAsViewer = byId("join-as-viewer", HTMLButtonElement);
  readonly participants = byId("participants", HTMLUListElement);
  /** Who is speaking, kept across roster re-renders. */
  private speaker: string | null = null;
  readonly roomLabel = byId("room-label", HTMLElement);
  readonly modeLabel = byId("mode", HTMLElement);
  readonly empty = byId("empty", HTMLElement);
  readonly emptyTitle = byId("empty-title", HTMLElement);
  readonly emptyHint = byId("empty-hint", HTMLElement);
  readonly roomLink = byId("room-link", HTMLInputElement);
  readonly copyLink = byId("copy-link", HTMLButtonElement);
  readonly langSelect = byId("lang-select", HTMLSelectElement);
  /** Remote participants' videos in sfu and mesh rooms. */
  readonly remotes = new RemoteVideos(
    this.remotesBox,
    () => (this.enableSound.hidden = false),
    (name) => this.i18n.t("call.screenOf", { name }),
  );

  /** The status line and the error, as keys: redrawn in the new language after a switch. */
  private statusShown: Text = text("status.idle");
  private errorShown: Text | null = null;
  private room = "";
  private role: Role = "sender";
  private mode: RoomMode | null = null;
  private micMuted = false;
  private camera: "on" | "off" | "none" = "on";
  private recording: RecordingState = null;
  /** This page shares a screen; who does, by name (for the button's title). */
  private sharing = false;
  private sharerName: string | null = null;
  /** The user's own choice for the self-view this call; null: the default for the room's mode. */
  private selfChoice: boolean | null = null;
  private list: readonly ParticipantInfo[] = [];
  private selfId: string | null = null;

  constructor(readonly i18n: Translator) {}

  /** The page's translate function. */
  get t(): Translator["t"] {
    return this.i18n.t;
  }

  /** Redraws every text in the page's current language (after the switch). */
  relabel(): void {
    document.documentElement.lang = this.i18n.language;
    this.langSelect.value = this.i18n.language;
    this.i18n.apply(document);
    this.status.textContent = render(this.t, this.statusShown);
    if (this.errorShown) this.errorText.textContent = render(this.t, this.errorShown);
    this.drawCallText();
  }

  setStatus(state: ClientState, status: MessageKey): void {
    this.statusShown = text(status);
    this.status.dataset.state = state;
    this.status.textContent = render(this.t, this.statusShown);
    document.body.dataset.state = state;
  }

  /** Shows `shown` in #error, in the page's language; returns the words shown. */
  showError(shown: Text, offerViewer = false): string {
    this.errorShown = shown;
    const words = render(this.t, shown);
    this.errorText.textContent = words;
    this.joinAsViewer.hidden = !offerViewer;
    this.error.hidden = false;
    return words;
  }

  clearError(): void {
    this.errorShown = null;
    this.errorText.textContent = "";
    this.joinAsViewer.hidden = true;
    this.error.hidden = true;
  }

  fillForm(room: string, name: string, mode: string): void {
    this.roomInput.value = room;
    this.nameInput.value = name;
    if (isRoomMode(mode)) {
      this.modeSelect.value = mode;
      this.more.open = true;
    }
  }

  readForm(): { room: string; name: string; mode: string } {
    return { room: this.roomInput.value.trim(), name: this.nameInput.value, mode: this.modeSelect.value };
  }

  /** The room's real mode (from `joined`): the #mode badge, and the mixed picture or the #remotes grid. */
  showMode(mode: RoomMode): void {
    this.mode = mode;
    this.modeLabel.dataset.mode = mode;
    this.modeLabel.hidden = false;
    const mixed = mode === "mcu";
    // Only an MCU room has a composite to record, and only the people on camera may start it (the server refuses viewers).
    this.record.hidden = !mixed || this.role !== "sender";
    // The mix draws a shared screen (MCU), the SFU forwards it; a browser without getDisplayMedia (most phones) has no button.
    this.shareScreen.hidden = mode === "mesh" || this.role !== "sender" || typeof navigator.mediaDevices?.getDisplayMedia !== "function";
    this.mixed.hidden = !mixed;
    this.remotesBox.hidden = mixed;
    this.call.dataset.mode = mode;
    this.drawSelf();
    this.drawCallText();
    this.drawEmpty();
  }

  /** Switches from the pre-join screen to the call view. */
  showCall(room: string, role: Role): void {
    this.room = room;
    this.role = role;
    this.selfChoice = null;
    document.body.dataset.view = "call";
    this.form.hidden = true;
    this.call.hidden = false;
    const sender = role === "sender";
    this.muteMic.hidden = !sender;
    this.cameraOff.hidden = !sender;
    this.record.hidden = true;
    this.shareScreen.hidden = true;
    this.roomLink.value = roomLink(window.location, room);
    this.micMuted = false;
    this.camera = "on";
    this.drawSelf();
    this.drawCallText();
  }

  showForm(): void {
    document.body.dataset.view = "prejoin";
    this.call.hidden = true;
    this.form.hidden = false;
    this.room = "";
    this.mode = null;
    this.roomLabel.textContent = "";
    this.mixed.srcObject = null;
    this.mixed.hidden = false;
    this.remotes.clear();
    this.remotesBox.hidden = true;
    this.modeLabel.textContent = "";
    this.modeLabel.hidden = true;
    delete this.modeLabel.dataset.mode;
    delete this.call.dataset.mode;
    this.self.srcObject = null;
    this.enableSound.hidden = true;
    this.record.hidden = true;
    this.shareScreen.hidden = true;
    this.setScreenShare(false, null);
    this.setRecording(null);
    this.renderParticipants([], null);
    this.empty.hidden = true;
  }

  /** The share button: whether this page shares, and who in the room does (null: nobody). */
  setScreenShare(sharing: boolean, sharerName: string | null): void {
    this.sharing = sharing;
    this.sharerName = sharerName;
    this.shareScreen.setAttribute("aria-pressed", String(sharing));
    this.drawCallText();
  }

  /** The REC indicator everyone in the room sees (with who started it), and the record button's label. */
  setRecording(recording: RecordingState): void {
    this.recording = recording;
    this.recIndicator.hidden = recording === null;
    this.recIndicator.dataset.recording = recording?.id ?? "";
    this.record.setAttribute("aria-pressed", String(recording !== null));
    this.drawCallText();
  }

  setMicMuted(muted: boolean): void {
    this.micMuted = muted;
    this.drawCallText();
  }

  /** `none`: joined without a camera (none, or denied): the button says so and does nothing. */
  setCameraOff(off: boolean | "none"): void {
    this.camera = off === "none" ? "none" : off ? "off" : "on";
    this.cameraOff.disabled = this.camera === "none";
    this.drawSelf();
    this.drawCallText();
  }

  toggleSelf(): void {
    this.selfChoice = !this.selfVisible();
    this.drawSelf();
    this.drawCallText();
  }

  /** MCU: you are in the mix already, so the self-view starts hidden; elsewhere it is how you see yourself. */
  private selfVisible(): boolean {
    return this.selfChoice ?? this.mode !== "mcu";
  }

  private drawSelf(): void {
    const canShow = this.role === "sender" && this.camera !== "none";
    this.selfToggle.hidden = !canShow;
    this.selfBox.hidden = !canShow || !this.selfVisible();
    this.self.hidden = this.selfBox.hidden;
  }

  /** Every label of the call view that depends on state and language. */
  private drawCallText(): void {
    const t = this.t;
    this.roomLabel.textContent = this.room ? t("call.room", { room: this.room }) : "";
    if (this.mode) {
      const [label, title] = MODE_KEYS[this.mode];
      this.modeLabel.textContent = t(label);
      this.modeLabel.title = t(title);
    }
    this.muteMic.textContent = t(this.micMuted ? "call.unmute" : "call.mute");
    this.muteMic.setAttribute("aria-pressed", String(this.micMuted));
    this.muteMic.title = t(this.micMuted ? "call.mutedTitle" : "call.muteTitle");
    const camera = this.camera;
    this.cameraOff.textContent = t(camera === "none" ? "call.noCamera" : camera === "off" ? "call.cameraOn" : "call.cameraOff");
    this.cameraOff.setAttribute("aria-pressed", String(camera !== "on"));
    this.cameraOff.title = t(camera === "none" ? "call.noCameraTitle" : camera === "off" ? "call.cameraIsOffTitle" : "call.cameraOffTitle");
    this.selfToggle.textContent = t(this.selfBox.hidden ? "call.selfShow" : "call.selfHide");
    this.record.textContent = t(this.recording ? "call.stopRecording" : "call.record");
    this.shareScreen.textContent = t(this.sharing ? "call.stopSharing" : "call.shareScreen");
    this.shareScreen.title = this.sharerName !== null && !this.sharing ? t("call.sharing", { name: this.sharerName }) : "";
    const by = this.recording?.startedBy;
    this.recIndicator.textContent = by ? t("call.recBy", { name: by }) : t("call.rec");
    this.drawRecordingLink();
    this.drawParticipants();
    this.drawEmpty();
  }

  /** The signed link to the room's finished recording beside REC (recordingLink.ts), or none. */
  showRecordingLink(url: string | null): void {
    const existing = document.getElementById(RECORDING_LINK_ID);
    if (url === null) return existing?.remove();
    const a = existing instanceof HTMLAnchorElement ? existing : document.createElement("a");
    a.id = RECORDING_LINK_ID;
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener";
    if (!a.isConnected) (this.recIndicator.parentElement ?? document.body).appendChild(a);
    this.drawRecordingLink();
  }

  private drawRecordingLink(): void {
    const a = document.getElementById(RECORDING_LINK_ID);
    if (!a) return;
    a.textContent = this.t("call.recordingReady");
    a.title = this.t("call.recordingReadyTitle");
  }

  /** Marks the participant the mixer hears speaking (MCU `speaker` messages), and no one else. */
  markSpeaker(id: string | null): void {
    this.speaker = id;
    for (const li of this.participants.querySelectorAll("li")) li.classList.toggle("speaking", li.dataset.id === id);
  }

  renderParticipants(list: readonly ParticipantInfo[], selfId: string | null): void {
    this.list = list;
    this.selfId = selfId;
    this.drawParticipants();
    this.drawEmpty();
  }

  private drawParticipants(): void {
    const t = this.t;
    const items = this.list.map((p) => {
      const li = document.createElement("li");
      li.dataset.id = p.id;
      li.dataset.role = p.role;
      if (p.id === this.speaker) li.classList.add("speaking");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = p.name; // textContent: names are untrusted
      li.append(name);
      const tags: string[] = [];
      if (p.id === this.selfId) tags.push(t("call.tagYou"));
      if (p.role === "viewer") tags.push(t("call.tagViewer"));
      if (p.role === "sender" && p.audioMuted) tags.push(t("call.tagMuted"));
      if (p.role === "sender" && p.videoMuted) tags.push(t("call.tagCameraOff"));
      if (tags.length > 0) {
        const tag = document.createElement("span");
        tag.className = "tags";
        tag.textContent = ` (${tags.join(", ")})`;
        li.append(tag);
      }
      return li;
    });
    this.participants.replaceChildren(...items);
  }

  /** "You're the only one here" / "Nobody is on camera yet", with the room's link; only once joined (selfId known). */
  private drawEmpty(): void {
    const state: EmptyState = this.selfId && this.mode ? emptyState(this.list, this.selfId, this.role, this.mode) : "none";
    this.call.dataset.empty = state;
    this.empty.hidden = state === "none";
    if (state === "none") return;
    this.emptyTitle.textContent = this.t(state === "no-senders" ? "empty.noSenders" : "empty.alone");
    this.emptyHint.hidden = state !== "no-senders";
    this.emptyHint.textContent = this.t("empty.noSendersHint");
  }

  /** Copies the room link; says "Copied" on the button for a moment. */
  async copyRoomLink(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.roomLink.value);
    } catch {
      // No clipboard permission (or an insecure page): select the text so that the user can copy it.
      this.roomLink.select();
      return;
    }
    this.copyLink.textContent = this.t("empty.copied");
    setTimeout(() => (this.copyLink.textContent = this.t("empty.copy")), 2000);
  }

  /** Plays the mixed stream with sound; falls back to muted playback plus a button when autoplay is blocked. */
  /**
   * The box the mix may fill, in CSS pixels: the stage's width, and for an upright layout the height it may
   * grow to (the viewport less the controls below it), not its height of the moment.
   */
  mixBox(): { width: number; height: number } {
    const width = this.stage.clientWidth;
    const upright = mixOrientation({ width: window.innerWidth, height: window.innerHeight }) === "portrait";
    const height = upright
      ? Math.max(this.stage.clientHeight, window.innerHeight - this.stage.getBoundingClientRect().top - UPRIGHT_RESERVED_PX)
      : this.stage.clientHeight;
    return { width: Math.max(1, width), height: Math.max(1, height) };
  }

  /** The server's `mix`: the stage takes the picture's shape; a paused picture says why over the stage. */
  showMixState(mix: { width: number; height: number; paused: boolean }): void {
    this.stage.dataset.shape = mix.height > mix.width ? "portrait" : "landscape";
    this.stage.dataset.paused = String(mix.paused);
    this.mixPaused.hidden = !mix.paused;
  }

  playMixed(stream: MediaStream): void {
    if (this.mixed.srcObject !== stream) this.mixed.srcObject = stream;
    this.mixed.play().catch((error: unknown) => {
      if (!(error instanceof DOMException) || error.name !== "NotAllowedError") return;
      this.mixed.muted = true;
      this.enableSound.hidden = false;
      this.mixed.play().catch(() => undefined);
    });
  }

  /** The "turn the sound on" button: the mixed video and every remote video. */
  unmuteAll(): void {
    this.mixed.muted = false;
    this.enableSound.hidden = true;
    if (!this.mixed.hidden) this.mixed.play().catch(() => undefined);
    this.remotes.unmuteAll();
  }

  showSelf(stream: MediaStream): void {
    this.self.srcObject = stream;
    this.self.play().catch(() => undefined);
  }
}

/** The link others open to come to this room: the page's address with only `room` (they get the pre-join screen). */
export function roomLink(location: { origin: string; pathname: string }, room: string): string {
  return `${location.origin}${location.pathname}?${new URLSearchParams({ room }).toString()}`;
}
