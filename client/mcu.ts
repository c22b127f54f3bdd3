// MCU rooms' media: one peer connection to the server and one mixed picture and sound back; the camera is
// encoded at the size the server draws it (tile.ts) and the server is told the box the mix is shown in
// (display.ts).

import type { TesseraView } from "./automation.js";
import { DisplayWatch, type MixSurface } from "./display.js";
import { acceptServerAnswer, offerToServer, openServerPeer, type Peer } from "./peer.js";
import type { MediaContext, MediaMessage, RoomMedia } from "./roomMedia.js";
import { TileApplier } from "./tile.js";

/** Where the mixed stream is played and its state shown (Ui). */
export interface McuSurface extends MixSurface {
  playMixed(stream: MediaStream): void;
  showMixState(mix: { width: number; height: number; paused: boolean }): void;
}

export class McuMedia implements RoomMedia {
  readonly mode = "mcu";
  readonly timed = true;
  private readonly peer: Peer;
  /** The camera's encoding, from the server's `tile` messages (none for a viewer or a sender without camera). */
  private readonly tiles: TileApplier | null;
  /** The mixed audio and video, however the server groups its tracks into streams. */
  private readonly mixed = new MediaStream();
  private readonly display: DisplayWatch;

  constructor(
    private readonly context: MediaContext,
    private readonly surface: McuSurface,
    private readonly view: TesseraView,
  ) {
    this.peer = openServerPeer(
      context,
      "mcu",
      (event) => this.onMixedTrack(event.track),
      () => this.tiles?.retry(),
    );
    const camera = this.peer.cameraSender;
    this.tiles = camera ? new TileApplier(camera, (tile) => (view.lastTile = tile)) : null;
    this.display = new DisplayWatch(surface, (message) => {
      view.display = message;
      context.events.send(message);
    });
  }

  start(): void {
    this.display.start();
    offerToServer(this.peer, this.context.events);
  }

  handle(message: MediaMessage): boolean {
    switch (message.type) {
      case "answer":
        acceptServerAnswer(this.peer, message.sdp, this.context.events, () => this.tiles?.retry());
        return true;
      case "tile":
        this.tiles?.apply(message);
        return true;
      case "mix":
        this.view.mix = { width: message.width, height: message.height, paused: message.paused };
        this.surface.showMixState(message);
        return true;
      default:
        return false;
    }
  }

  /** Everyone is in the one picture: the roster changes nothing here. */
  setRoster(): void {}

  close(): void {
    this.display.stop();
    this.peer.close();
    for (const track of this.mixed.getTracks()) this.mixed.removeTrack(track);
  }

  private onMixedTrack(track: MediaStreamTrack): void {
    if (!this.mixed.getTracks().includes(track)) this.mixed.addTrack(track);
    this.surface.playMixed(this.mixed);
  }
}
