// Entry point (bundled to /client.js): wires the page to a Session.

import { installView } from "./automation.js";
import { readPageParams, validateJoin, wantsAutoJoin } from "./params.js";
import { Session } from "./session.js";
import { Ui } from "./ui.js";

const ui = new Ui();
const view = installView();
let session: Session | null = null;

function join(room: string, name: string, role: string): void {
  if (session) return;
  const checked = validateJoin(room, name, role);
  if (!checked.ok) {
    view.error = checked.error;
    ui.showError(checked.error);
    return;
  }
  ui.clearError();
  view.error = null;
  ui.fillForm(checked.options.room, checked.options.name, checked.options.role);
  ui.joinButton.disabled = true;
  const current = new Session(checked.options, ui, view, () => {
    if (session === current) session = null;
    ui.joinButton.disabled = false;
  });
  session = current;
  void current.start();
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const { room, name, role } = ui.readForm();
  join(room, name, role);
});
ui.muteMic.addEventListener("click", () => session?.toggleMic());
ui.cameraOff.addEventListener("click", () => session?.toggleCamera());
ui.leave.addEventListener("click", () => session?.leave());
ui.enableSound.addEventListener("click", () => ui.unmuteMixed());
window.addEventListener("pagehide", () => session?.leave());

const params = readPageParams(window.location.search);
ui.fillForm(params.room, params.name, params.role);
ui.setStatus("idle", "Not connected");
if (wantsAutoJoin(params)) join(params.room, params.name, params.role);
else (params.room === "" ? ui.roomInput : ui.nameInput).focus();
