// The browser's parts for a Session: the signaling socket, each room mode's media object drawn into the Ui,
// the devices, and the page's own address and policy (client/redirect.ts).

import type { TesseraView } from "./automation.js";
import { McuMedia } from "./mcu.js";
import { openLocalMedia } from "./media.js";
import { Mesh } from "./mesh.js";
import { mayReloadFor, rejoinAddress, watchBlockedSocket } from "./redirect.js";
import type { CreateMedia } from "./roomMedia.js";
import type { SessionDeps } from "./session.js";
import { SfuMedia } from "./sfu.js";
import { Signaling, signalingUrl } from "./signaling.js";
import type { Ui } from "./ui.js";

export function browserSessionDeps(ui: Ui, view: TesseraView): SessionDeps {
  const createMedia: CreateMedia = (mode, context) => {
    switch (mode) {
      case "mcu":
        return new McuMedia(context, ui, view);
      case "sfu":
        return new SfuMedia(context, ui.remotes);
      case "mesh":
        return new Mesh(context, ui.remotes);
    }
  };
  return {
    openSignaling: (url, handlers) => new Signaling(url, handlers),
    createMedia,
    openLocalMedia: async () => (await openLocalMedia()).stream,
    signalingUrl: signalingUrl(window.location),
    watchBlocked: (url, blocked) => watchBlockedSocket(document, url, blocked),
    mayReloadFor: (url) => mayReloadFor(url, window.sessionStorage, Date.now()),
    reload: (options, devices) => window.location.replace(rejoinAddress(window.location.href, options, devices)),
  };
}
