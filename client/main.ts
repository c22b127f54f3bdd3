// Entry point (bundled to /client.js): the language, the pre-join screen, and a Session per visit.

import { installView } from "./automation.js";
import { isLanguage, pickLanguage, Translator } from "./i18n/translator.js";
import { parseMode, readPageParams, validateJoin, wantsAutoJoin } from "./params.js";
import { PreJoin } from "./prejoin.js";
import type { Text } from "./i18n/text.js";
import { Session } from "./session.js";
import { browserSessionDeps } from "./sessionDeps.js";
import { Ui } from "./ui.js";

const LANGUAGE_KEY = "tessera.language";

function savedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null; // storage disabled: the switch still works for this page
  }
}

const params = readPageParams(window.location.search);
const i18n = new Translator(pickLanguage(navigator.languages ?? [navigator.language], params.lang, savedLanguage()));
const ui = new Ui(i18n);
const view = installView();
const deps = browserSessionDeps(ui, view);
const prejoin = new PreJoin(() => i18n.t, params.mic === "off", params.camera === "off");
let session: Session | null = null;

function showError(shown: Text): void {
  view.error = ui.showError(shown);
}

function setBusy(busy: boolean): void {
  ui.joinButton.disabled = busy;
  ui.watchButton.disabled = busy;
}

function join(room: string, name: string, role: string, mode: string): void {
  if (session) return;
  const checked = validateJoin(room, name, role, mode);
  if (!checked.ok) {
    showError(checked.error);
    (checked.error.key === "error.enterRoom" || checked.error.key === "error.badRoom" ? ui.roomInput : ui.nameInput).focus();
    return;
  }
  ui.clearError();
  view.error = null;
  // The link's token and relay choice go with whatever the form says: the server checks the token's room.
  const options = { ...checked.options, ...(params.token ? { token: params.token } : {}), ...(params.relay ? { relay: true } : {}) };
  ui.fillForm(options.room, options.name, options.mode ?? "");
  setBusy(true);
  // A sender takes over the preview's stream and toggles; a viewer releases the devices.
  const prepared = options.role === "sender" ? prejoin.take() : (prejoin.stop(), undefined);
  const current = new Session(
    options,
    ui,
    view,
    deps,
    (lastErrorCode) => {
      if (session === current) session = null;
      setBusy(false);
      const full = lastErrorCode === "room-full" && options.role === "sender";
      // fail() shows its message after the session has ended: offer the viewer seat once it is on screen.
      queueMicrotask(() => {
        if (full && !ui.error.hidden) ui.joinAsViewer.hidden = false;
        (full ? ui.joinAsViewer : ui.joinButton).focus();
        // Back on the pre-join screen: its preview again, ready for Join (a viewer link does not turn the camera on).
        if (params.role !== "viewer") void prejoin.start();
      });
    },
    prepared,
  );
  session = current;
  void current.start();
  // Keyboard users land on the first control of the call.
  (options.role === "sender" ? ui.muteMic : ui.leave).focus();
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const { room, name, mode } = ui.readForm();
  join(room, name, "sender", mode);
});
ui.watchButton.addEventListener("click", () => {
  const { room, name, mode } = ui.readForm();
  join(room, name, "viewer", mode);
});
ui.joinAsViewer.addEventListener("click", () => {
  const { room, name, mode } = ui.readForm();
  join(room, name, "viewer", mode);
});
ui.muteMic.addEventListener("click", () => session?.toggleMic());
ui.cameraOff.addEventListener("click", () => session?.toggleCamera());
ui.selfToggle.addEventListener("click", () => ui.toggleSelf());
ui.leave.addEventListener("click", () => session?.leave());
ui.record.addEventListener("click", () => session?.toggleRecording());
ui.shareScreen.addEventListener("click", () => session?.toggleScreen());
ui.enableSound.addEventListener("click", () => ui.unmuteAll());
ui.copyLink.addEventListener("click", () => void ui.copyRoomLink());
ui.roomLink.addEventListener("focus", () => ui.roomLink.select());
ui.langSelect.addEventListener("change", () => {
  const language = ui.langSelect.value;
  if (!isLanguage(language)) return;
  i18n.language = language;
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // not saved; this page still switches
  }
  ui.relabel();
  prejoin.draw();
});
window.addEventListener("pagehide", () => {
  session?.leave();
  prejoin.stop();
});

ui.relabel();
ui.fillForm(params.room, params.name, params.mode);
ui.setStatus("idle", "status.idle");
const urlMode = parseMode(params.mode, true);
if (!urlMode.ok) {
  // A link with a mistyped mode must not silently create a room of another mode: say so, wait for the form.
  showError(urlMode.error);
  ui.more.open = true;
  ui.modeSelect.focus();
} else if (wantsAutoJoin(params)) {
  // room and name in the address (links made for someone, automation): straight in, no pre-join screen.
  join(params.room, params.name, params.role, params.mode);
} else {
  if (params.role !== "viewer") void prejoin.start();
  (params.room === "" ? ui.roomInput : ui.nameInput).focus();
}
