/** Who is connected where, since when: an SFU participant can only receive media while another sender is there. */
export class Presence {
  private readonly rooms = new Map<string, Map<string, { role: "sender" | "viewer"; since: number }>>();

  enter(room: string, name: string, role: "sender" | "viewer", since: number): void {
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Map()));
    members.set(name, { role, since });
  }

  leave(room: string, name: string): void {
    this.rooms.get(room)?.delete(name);
  }

  /** True when a sender other than `name` has been connected to `room` since `since` or earlier. */
  otherSenderSince(room: string, name: string, since: number): boolean {
    for (const [other, m] of this.rooms.get(room) ?? []) if (other !== name && m.role === "sender" && m.since <= since) return true;
    return false;
  }
}
