// The #remotes grid (sfu and mesh rooms): one <video> per remote participant, named from the roster.

import type { ParticipantInfo } from "../protocol/messages.js";
import { screenOwner } from "../protocol/screenSource.js";

/** Columns for n tiles: as square a grid as possible (1, 2, 2, 2, 3, 3, 3, 3, 3, 4…). */
export function gridColumns(n: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(n)));
}

interface Tile {
  box: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  stream: MediaStream;
  onRemoveTrack: () => void;
}

export class RemoteVideos {
  private readonly tiles = new Map<string, Tile>();
  private roster = new Map<string, ParticipantInfo>();
  private soundBlocked = false;

  /** `onSoundBlocked`: autoplay with sound was refused; the videos now play muted until unmuteAll(). */
  constructor(
    private readonly container: HTMLElement,
    private readonly onSoundBlocked: () => void,
    /** The label of a shared screen's tile (sfu), from its sharer's name: "Ada's screen", in the page's language. */
    private readonly screenLabel: (name: string) => string = (name) => name,
  ) {}

  /** Shows `stream` as participant `id`'s video (creates the tile on first use). */
  attach(id: string, stream: MediaStream): void {
    let tile = this.tiles.get(id);
    if (tile && tile.stream !== stream) {
      this.remove(id);
      tile = undefined;
    }
    if (!tile) {
      tile = this.create(id, stream);
      this.layout();
    }
    this.play(tile.video);
  }

  /** Names tiles, marks cameras that are off, and drops tiles of participants no longer listed. */
  setRoster(list: readonly ParticipantInfo[]): void {
    this.roster = new Map(list.map((p) => [p.id, p]));
    // A screen's tile (sfu: its stream id is screenSourceId) stays while its sharer is listed.
    for (const id of [...this.tiles.keys()]) {
      if (this.roster.has(screenOwner(id) ?? id)) this.describe(id);
      else this.remove(id);
    }
  }

  remove(id: string): void {
    const tile = this.tiles.get(id);
    if (!tile) return;
    this.tiles.delete(id);
    tile.stream.removeEventListener("removetrack", tile.onRemoveTrack);
    tile.video.srcObject = null;
    tile.box.remove();
    this.layout();
  }

  clear(): void {
    for (const id of [...this.tiles.keys()]) this.remove(id);
    this.roster.clear();
    this.soundBlocked = false;
  }

  unmuteAll(): void {
    this.soundBlocked = false;
    for (const { video } of this.tiles.values()) {
      video.muted = false;
      video.play().catch(() => undefined);
    }
  }

  private create(id: string, stream: MediaStream): Tile {
    const box = document.createElement("div");
    box.className = "remote";
    box.dataset.id = id;
    if (screenOwner(id) !== undefined) box.dataset.screen = "true";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    video.dataset.id = id;
    // Muted only while the browser refuses autoplay with sound (see play()).
    video.muted = this.soundBlocked;
    video.srcObject = stream;
    const label = document.createElement("span");
    label.className = "remote-name";
    box.append(video, label);
    this.container.append(box);
    // An SFU retires a departed sender's m-sections: its tracks leave the stream. No tracks, no tile.
    const onRemoveTrack = () => {
      if (stream.getTracks().length === 0) this.remove(id);
    };
    stream.addEventListener("removetrack", onRemoveTrack);
    const tile = { box, video, label, stream, onRemoveTrack };
    this.tiles.set(id, tile);
    this.describe(id);
    return tile;
  }

  private describe(id: string): void {
    const tile = this.tiles.get(id);
    const owner = screenOwner(id);
    const p = this.roster.get(owner ?? id);
    if (!tile || !p) return;
    if (owner !== undefined) {
      tile.label.textContent = this.screenLabel(p.name);
      return;
    }
    if (tile.video.dataset.name !== p.name) {
      tile.video.dataset.name = p.name;
      tile.box.dataset.name = p.name;
      tile.label.textContent = p.name; // textContent: names are untrusted
    }
    tile.box.dataset.cameraOff = String(p.videoMuted);
    tile.box.dataset.muted = String(p.audioMuted);
  }

  private layout(): void {
    this.container.style.setProperty("--columns", String(gridColumns(this.tiles.size)));
    this.container.dataset.count = String(this.tiles.size);
  }

  private play(video: HTMLVideoElement): void {
    video.play().catch((error: unknown) => {
      if (!(error instanceof DOMException) || error.name !== "NotAllowedError" || video.muted) return;
      this.soundBlocked = true;
      for (const tile of this.tiles.values()) tile.video.muted = true;
      this.onSoundBlocked();
      video.play().catch(() => undefined);
    });
  }
}
