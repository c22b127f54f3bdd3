import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { Room } from "./room.js";

/** All live rooms by name. A room exists from its first join until it has closed after its last leave. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  getOrCreate(name: string): Room {
    const existing = this.rooms.get(name);
    if (existing && !existing.isClosing) return existing;
    const room = new Room(name, this.config, this.log.child({ room: name }));
    this.rooms.set(name, room);
    room.on("closed", () => {
      if (this.rooms.get(name) === room) this.rooms.delete(name);
    });
    return room;
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all(this.all().map((room) => room.close(reason)));
  }
}
