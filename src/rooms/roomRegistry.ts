import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RoomMode } from "../../protocol/messages.js";
import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import type { ConferenceRoom } from "./conferenceRoom.js";
import type { RoomContext } from "./roomContext.js";
import { realRoomMedia, type RoomMediaFactory } from "./roomMedia.js";
import { McuRoom } from "./mcuRoom.js";
import { MeshRoom } from "./meshRoom.js";
import { SfuRoom } from "./sfuRoom.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";

/** Where MCU and SFU rooms' media runs when not in this process (MediaWorkerPool); undefined: here after all. */
export interface RoomPlacement {
  createRoom(name: string, mode: "mcu" | "sfu"): ConferenceRoom | undefined;
}

/**
 * All live rooms by name. A room exists from its first join until it has closed after its last leave;
 * its mode is fixed by that first join.
 */
export class RoomRegistry extends EventEmitter<{ roomClosed: [name: string] }> {
  private readonly rooms = new Map<string, ConferenceRoom>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    /** The server's process group: each room gets a child group of it. */
    private readonly processes: ProcessGroup,
    private readonly recordings: RecordingStore,
    private readonly media: RoomMediaFactory = realRoomMedia,
    private readonly metrics?: MediaMetrics,
    /** Where rooms' events go (webhooks). */
    private readonly events?: RoomEvents,
    /** MEDIA_WORKERS: MCU and SFU rooms open in a media worker (mesh rooms, which carry no media, stay here). */
    private readonly placement?: RoomPlacement,
  ) {
    super();
  }

  get(name: string): ConferenceRoom | undefined {
    return this.rooms.get(name);
  }

  /** The live room of that name, or a new one; undefined when the node already holds MAX_ROOMS rooms. */
  getOrCreate(name: string, requestedMode: RoomMode | undefined): ConferenceRoom | undefined {
    const existing = this.rooms.get(name);
    if (existing && !existing.isClosing) return existing;
    // A closing room still holds its media until it is gone, so it counts.
    if (this.rooms.size >= this.config.maxRooms && !existing) return undefined;
    const mode = requestedMode ?? this.config.defaultMode;
    const room = (mode !== "mesh" && this.placement?.createRoom(name, mode)) || this.createHere(name, mode);
    this.rooms.set(name, room);
    this.events?.send(name, { type: "room.started", mode });
    room.once("closed", () => {
      this.events?.send(name, { type: "room.finished", mode });
      if (this.rooms.get(name) !== room) return;
      this.rooms.delete(name);
      // The cluster gives up the room's claim the moment it is gone, not at its next refresh.
      this.emit("roomClosed", name);
    });
    return room;
  }

  private createHere(name: string, mode: RoomMode): ConferenceRoom {
    const context: RoomContext = {
      name,
      config: this.config,
      log: this.log.child({ room: name, mode }),
      processes: this.processes.child(),
      recordings: this.recordings,
      media: this.media,
      metrics: this.metrics,
      events: this.events,
    };
    return mode === "mesh" ? new MeshRoom(context) : mode === "sfu" ? new SfuRoom(context) : new McuRoom(context);
  }

  all(): ConferenceRoom[] {
    return [...this.rooms.values()];
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all(this.all().map((room) => room.close(reason)));
  }
}
