// Everything that touches the DOM. No signaling or WebRTC logic here.

import { isRoomMode, type ParticipantInfo, type Role, type RoomMode } from "../protocol/messages.js";
import { RemoteVideos } from "./remotes.js";

/** Machine-readable connection state, in #status[data-state] and window.tessera.state. */
export type ClientState = "idle" | "connecting" | "connected" | "failed" | "left";

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`tessera: page is missing #${id}`);
  return element;
}

const MODE_LABELS: Record<RoomMode, string> = { mcu: "MCU", sfu: "SFU", mesh: "Mesh" };
const MODE_TITLES: Record<RoomMode, string> = {
  mcu: "The server mixes everyone into one picture",
  sfu: "The server forwards each participant's stream",
  mesh: "Browsers connect to each other directly",
};

export class Ui {
  readonly form = byId("join-form", HTMLFormElement);
  readonly roomInput = byId("room-input", HTMLInputElement);
  readonly nameInput = byId("name-input", HTMLInputElement);
  readonly roleSelect = byId("role-select", HTMLSelectElement);
  readonly modeSelect = byId("mode-select", HTMLSelectElement);
  readonly joinButton = byId("join", HTMLButtonElement);
  readonly call = byId("call", HTMLElement);
  readonly mixed = byId("mixed", HTMLVideoElement);
  readonly remotesBox = byId("remotes", HTMLElement);
  readonly self = byId("self", HTMLVideoElement);
  readonly enableSound = byId("enable-sound", HTMLButtonElement);
  readonly muteMic = byId("mute-mic", HTMLButtonElement);
  readonly cameraOff = byId("camera-off", HTMLButtonElement);
  readonly leave = byId("leave", HTMLButtonElement);
  readonly record = byId("record", HTMLButtonElement);
  readonly recIndicator = byId("rec", HTMLElement);
  readonly status = byId("status", HTMLElement);
  readonly error = byId("error", HTMLElement);
  readonly participants = byId("participants", HTMLUListElement);
  /** Who is speaking, kept across roster re-renders. */
  private speaker: string | null = null;
  readonly roomLabel = byId("room-label", HTMLElement);
  readonly modeLabel = byId("mode", HTMLElement);
  /** Remote participants' videos in sfu and mesh rooms. */
  readonly remotes = new RemoteVideos(this.remotesBox, () => (this.enableSound.hidden = false));

  setStatus(state: ClientState, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
    document.body.dataset.state = state;
  }

  showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  clearError(): void {
    this.error.textContent = "";
    this.error.hidden = true;
  }

  fillForm(room: string, name: string, role: string, mode: string): void {
    this.roomInput.value = room;
    this.nameInput.value = name;
    if (role === "sender" || role === "viewer") this.roleSelect.value = role;
    if (isRoomMode(mode)) this.modeSelect.value = mode;
  }

  readForm(): { room: string; name: string; role: string; mode: string } {
    return { room: this.roomInput.value.trim(), name: this.nameInput.value, role: this.roleSelect.value, mode: this.modeSelect.value };
  }

  /** The room's real mode (from `joined`): the #mode badge, and the mixed picture or the #remotes grid. */
  showMode(mode: RoomMode): void {
    this.modeLabel.textContent = MODE_LABELS[mode];
    this.modeLabel.title = MODE_TITLES[mode];
    this.modeLabel.dataset.mode = mode;
    this.modeLabel.hidden = false;
    const mixed = mode === "mcu";
    // Only an MCU room has a composite to record.
    this.record.hidden = !mixed;
    this.mixed.hidden = !mixed;
    this.remotesBox.hidden = mixed;
    this.call.dataset.mode = mode;
  }

  /** Switches between the join form and the call view. */
  showCall(room: string, role: Role): void {
    this.form.hidden = true;
    this.call.hidden = false;
    this.roomLabel.textContent = `Room ${room}`;
    const sender = role === "sender";
    this.self.hidden = !sender;
    this.muteMic.hidden = !sender;
    this.cameraOff.hidden = !sender;
    this.setMicMuted(false);
    this.setCameraOff(false);
  }

  showForm(): void {
    this.call.hidden = true;
    this.form.hidden = false;
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
    this.setRecording(null);
    this.renderParticipants([], null);
  }

  /** The REC indicator everyone in the room sees, and the record button's label. */
  setRecording(recording: { id: string; startedAt: string } | null): void {
    this.recIndicator.hidden = recording === null;
    this.recIndicator.dataset.recording = recording?.id ?? "";
    this.record.textContent = recording ? "Stop recording" : "Record";
    this.record.setAttribute("aria-pressed", String(recording !== null));
  }

  setMicMuted(muted: boolean): void {
    this.muteMic.textContent = muted ? "Unmute" : "Mute";
    this.muteMic.setAttribute("aria-pressed", String(muted));
    this.muteMic.title = muted ? "Your microphone is muted" : "Mute your microphone";
  }

  setCameraOff(off: boolean): void {
    this.cameraOff.textContent = off ? "Camera on" : "Camera off";
    this.cameraOff.setAttribute("aria-pressed", String(off));
    this.cameraOff.title = off ? "Your camera is off" : "Turn your camera off";
  }

  /** Marks the participant the mixer hears speaking (MCU `speaker` messages), and no one else. */
  markSpeaker(id: string | null): void {
    this.speaker = id;
    for (const li of this.participants.querySelectorAll("li")) li.classList.toggle("speaking", li.dataset.id === id);
  }

  renderParticipants(list: readonly ParticipantInfo[], selfId: string | null): void {
    const items = list.map((p) => {
      const li = document.createElement("li");
      li.dataset.id = p.id;
      li.dataset.role = p.role;
      if (p.id === this.speaker) li.classList.add("speaking");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = p.name; // textContent: names are untrusted
      li.append(name);
      const tags: string[] = [];
      if (p.id === selfId) tags.push("you");
      if (p.role === "viewer") tags.push("viewer");
      if (p.role === "sender" && p.audioMuted) tags.push("muted");
      if (p.role === "sender" && p.videoMuted) tags.push("camera off");
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

  /** Plays the mixed stream with sound; falls back to muted playback plus a button when autoplay is blocked. */
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
