// The share button's state during a call (mcu and sfu rooms): this page's screen share while it runs, and who
// in the room shares (the server's `screen` messages). The one owner of both; the session routes the screen's
// messages here and the Ui shows the button.

import type { TesseraView } from "./automation.js";
import { errorDetail, text, type Text } from "./i18n/text.js";
import type { ClientMessageInput, TileMessage } from "../protocol/messages.js";
import { ScreenShare } from "./screenShare.js";

export interface ScreenHost {
  send(message: ClientMessageInput): void;
  showError(shown: Text): void;
  /** A participant's name, if listed (for the button's title and a refused share). */
  nameOf(id: string | null): string | undefined;
  /** Our participant id, once joined. */
  selfId(): string | null;
  /** The share button (Ui). */
  setScreenShare(sharing: boolean, sharerName: string | null): void;
}

export class ScreenControl {
  private screen: ScreenShare | null = null;
  /** The server has named this page the sharer: a later `screen` naming another (or none) ends ours. */
  private live = false;
  private sharer: string | null = null;

  constructor(
    private readonly host: ScreenHost,
    private readonly view: TesseraView,
  ) {}

  /** The share button: asks for a screen and shares it, or stops sharing. */
  toggle(iceServers: RTCIceServer[], policy: RTCIceTransportPolicy): void {
    if (this.screen) return this.stop(true);
    if (typeof navigator.mediaDevices?.getDisplayMedia !== "function") return this.host.showError(text("call.shareUnsupported"));
    const share = new ScreenShare(
      iceServers,
      {
        send: (message) => this.host.send(message),
        onSharing: (sharing) => {
          if (!sharing && this.screen === share) {
            this.screen = null;
            this.live = false;
          }
          this.view.sharing = this.screen !== null;
          this.draw();
        },
        onError: (detail) => this.host.showError(text("call.shareFailed", { detail })),
        onTile: (tile) => (this.view.lastScreenTile = tile),
      },
      policy,
      true,
    );
    this.screen = share;
    share.start().catch((error: unknown) => {
      this.host.showError(text("call.shareFailed", { detail: errorDetail(error) }));
      share.stop(true);
    });
  }

  /** The server's `screen`: who shares now. Another's share (a takeover) or none ends ours, if it ran. */
  onSharer(id: string | null): void {
    this.sharer = id;
    this.view.screenSharer = id;
    if (this.screen && id === this.host.selfId()) this.live = true;
    // Ours ended on the server (another took over, or it was stopped there). A `null` before ours went live is
    // the end of the share ours is taking over from.
    else if (this.screen && this.live) this.stop(false);
    this.draw();
  }

  acceptAnswer(sdp: string): void {
    this.screen?.acceptAnswer(sdp).catch((error: unknown) => {
      this.host.showError(text("call.shareFailed", { detail: errorDetail(error) }));
      this.stop(true);
    });
  }

  /** MCU: the size the mix draws the screen at. */
  applyTile(tile: TileMessage): void {
    this.screen?.applyTile(tile);
  }

  /**
   * The server refused our share: `screen-failed` (its offer) or `screen-busy` (another shares). Returns the
   * words to show (`otherwise` when the sharer is not listed), or null for an error that is not the screen's.
   */
  refused(code: string, detail: string, otherwise: Text): Text | null {
    if (code !== "screen-failed" && code !== "screen-busy") return null;
    // The picker's stream goes, the button is back to "Share screen".
    this.stop(false);
    if (code === "screen-failed") return text("call.shareFailed", { detail });
    const name = this.host.nameOf(this.sharer);
    return name !== undefined ? text("error.screenBusy", { name }) : otherwise;
  }

  /** The connection is gone: the server ended the share with it (share again once back). */
  reset(): void {
    this.stop(false);
    this.sharer = null;
    this.view.screenSharer = null;
  }

  /** Ends our share; `tellServer` false when the server ended it (or never heard of it). */
  stop(tellServer: boolean): void {
    const share = this.screen;
    this.screen = null;
    this.live = false;
    share?.stop(tellServer);
    this.view.sharing = false;
    this.draw();
  }

  private draw(): void {
    const sharer = this.sharer;
    this.host.setScreenShare(this.screen !== null, sharer === null ? null : (this.host.nameOf(sharer) ?? sharer));
  }
}
