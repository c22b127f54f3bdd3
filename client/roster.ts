// Who is in the room, as the server last said: our own id, the participants, who is speaking. The one owner
// of these on the page; the automation view and the Ui get copies.

import type { TesseraView } from "./automation.js";
import type { ParticipantInfo } from "../protocol/messages.js";

/** The participants list (Ui). */
export interface RosterSurface {
  renderParticipants(list: readonly ParticipantInfo[], selfId: string | null): void;
  markSpeaker(id: string | null): void;
}

export class Roster {
  private self: string | null = null;
  private list: readonly ParticipantInfo[] = [];

  constructor(
    private readonly surface: RosterSurface,
    private readonly view: TesseraView,
  ) {}

  get selfId(): string | null {
    return this.self;
  }

  get participants(): readonly ParticipantInfo[] {
    return this.list;
  }

  /** Our id, from `joined`. */
  joined(id: string): void {
    this.self = id;
    this.view.id = id;
  }

  set(list: ParticipantInfo[]): void {
    this.list = list;
    this.view.participants = list;
    this.surface.renderParticipants(list, this.self);
  }

  /** The name of participant `id`, if listed. */
  nameOf(id: string | null): string | undefined {
    return this.list.find((p) => p.id === id)?.name;
  }

  /** MCU's `speaker`: who the mixer hears now. */
  speaking(id: string | null): void {
    this.view.speaker = id;
    this.surface.markSpeaker(id);
  }

  /** The visit is over: nobody is listed. */
  clear(): void {
    this.list = [];
    this.view.participants = [];
  }
}
