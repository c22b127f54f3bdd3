// Entry point (bundled to /client.js): wires the page to a Session.

import { installView } from "./automation.js";
import { parseMode, readPageParams, validateJoin, wantsAutoJoin } from "./params.js";
import { Session } from "./session.js";
import { Ui } from "./ui.js";

const params = readPageParams(window.location.search);
const ui = new Ui();
const view = installView();
let session: Session | null = null;

function showError(message: string): void {
  view.error = message;
  ui.showError(message);
}

function join(room: string, name: string, role: string, mode: string): void {
  if (session) return;
  const checked = validateJoin(room, name, role, mode);
  if (!checked.ok) {
    showError(checked.error);
    return;
  }
  ui.clearError();
  view.error = null;
  // The link's token and relay choice go with whatever the form says: the server checks the token's room.
  const options = { ...checked.options, ...(params.token ? { token: params.token } : {}), ...(params.relay ? { relay: true } : {}) };
  ui.fillForm(options.room, options.name, options.role, options.mode ?? "");
  ui.joinButton.disabled = true;
  const current = new Session(options, ui, view, () => {
    if (session === current) session = null;
    ui.joinButton.disabled = false;
  });
  session = current;
  void current.start();
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const { room, name, role, mode } = ui.readForm();
  join(room, name, role, mode);
});
ui.muteMic.addEventListener("click", () => session?.toggleMic());
ui.cameraOff.addEventListener("click", () => session?.toggleCamera());
ui.leave.addEventListener("click", () => session?.leave());
ui.record.addEventListener("click", () => session?.toggleRecording());
ui.enableSound.addEventListener("click", () => ui.unmuteAll());
window.addEventListener("pagehide", () => session?.leave());

ui.fillForm(params.room, params.name, params.role, params.mode);
ui.setStatus("idle", "Not connected");
const urlMode = parseMode(params.mode, "in the page address");
if (!urlMode.ok) {
  // A link with a mistyped mode must not silently create a room of another mode: say so, wait for the form.
  showError(urlMode.error);
  ui.modeSelect.focus();
} else if (wantsAutoJoin(params)) join(params.room, params.name, params.role, params.mode);
else (params.room === "" ? ui.roomInput : ui.nameInput).focus();
