import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Role } from "../../protocol/messages.js";
import type { RoomCapabilities } from "./capabilities.js";
import { roomFullMessage, senderCount, type AdmitResult } from "./conferenceRoom.js";
import { broadcastRoster, type Member, type ParticipantChannel } from "./participant.js";
import type { RoomContext } from "./roomContext.js";

/**
 * The roster goes out at most this often: a burst of joins, leaves or mutes becomes one `participants`
 * message per interval (the first at once, the rest as one at the end of the interval).
 */
const ROSTER_INTERVAL_MS = 100;

/** What every room mode keeps the same way: its members, the sender limit, mutes, the roster, closing. */
export abstract class BaseRoom<M extends Member> extends EventEmitter<{ closed: [] }> {
  protected readonly members = new Map<string, M>();
  protected closing = false;
  private lastRosterAt = -Infinity;
  private rosterTimer: NodeJS.Timeout | undefined;

  readonly name: string;
  protected readonly config: Config;
  protected readonly log: Logger;

  constructor(protected readonly context: RoomContext) {
    super();
    this.name = context.name;
    this.config = context.config;
    this.log = context.log;
  }

  /** What this mode can do beyond what every room does. */
  abstract readonly capabilities: RoomCapabilities;

  get isClosing(): boolean {
    return this.closing;
  }

  list(): M[] {
    return [...this.members.values()];
  }

  /** The refusal for one sender too many (viewers are never refused), else undefined. */
  protected refuseIfFull(role: Role): AdmitResult<M> | undefined {
    if (role !== "sender" || senderCount(this.members.values()) < this.config.maxSenders) return undefined;
    return { ok: false, code: "room-full", message: roomFullMessage(this.name, this.config.maxSenders) };
  }

  protected newMember(name: string, role: Role, channel: ParticipantChannel, identity?: string): Member {
    const id = randomUUID().slice(0, 8);
    return { id, identity: identity ?? id, name, role, joinedAt: new Date(), channel, audioMuted: false, videoMuted: false };
  }

  protected enrol(member: M): AdmitResult<M> {
    this.members.set(member.id, member);
    this.log.info("participant joined", { participant: member.id, role: member.role, senders: senderCount(this.members.values()) });
    // Deferred so the joiner gets `joined` before the roster its own join causes.
    setImmediate(() => this.broadcastRoster());
    return { ok: true, participant: member };
  }

  /** Records a mute and tells everyone; returns the member for mode-specific follow-up. */
  protected recordMute(id: string, mute: { audio?: boolean; video?: boolean }): M | undefined {
    const m = this.members.get(id);
    if (!m) return undefined;
    if (mute.audio !== undefined) m.audioMuted = mute.audio;
    if (mute.video !== undefined) m.videoMuted = mute.video;
    this.broadcastRoster();
    return m;
  }

  protected broadcastRoster(): void {
    if (this.rosterTimer) return;
    const wait = this.lastRosterAt + ROSTER_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.sendRoster();
    this.rosterTimer = setTimeout(() => {
      this.rosterTimer = undefined;
      this.sendRoster();
    }, wait);
  }

  private sendRoster(): void {
    if (this.closing) return;
    this.lastRosterAt = performance.now();
    broadcastRoster(this.members.values());
  }
}
