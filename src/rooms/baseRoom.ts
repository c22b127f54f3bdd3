import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Role } from "../../protocol/messages.js";
import type { RoomCapabilities } from "./capabilities.js";
import { roomFullMessage, senderCount, type AdmitResult } from "./conferenceRoom.js";
import { broadcastRoster, DETACHED_CHANNEL, type Member, type ParticipantChannel } from "./participant.js";
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
  /** Participants whose socket dropped: when their held place runs out. */
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /** Resume key -> participant id, for everyone in the room. */
  private readonly resumeKeys = new Map<string, string>();

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

  /** Takes the participant out (they left, were kicked, or their held place ran out). */
  abstract remove(id: string, reason: string): Promise<void>;

  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * Whether a participant whose socket dropped keeps their place for RECONNECT_GRACE_MS (MCU and SFU; a
   * mesh room does not: its browsers hold the media connections, and a page that comes back calls everyone
   * afresh).
   */
  get holdsDroppedParticipants(): boolean {
    return this.config.reconnectGraceMs > 0;
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
    const given = this.context.memberKeys?.();
    const id = given?.id ?? randomUUID().slice(0, 8);
    return {
      id,
      identity: identity ?? id,
      name,
      role,
      joinedAt: new Date(),
      channel,
      // 256 random bits: whoever holds it can take the participant over, so it is never guessable.
      resumeKey: given?.resumeKey ?? randomBytes(32).toString("base64url"),
      disconnectedAt: undefined,
      audioMuted: false,
      videoMuted: false,
    };
  }

  protected enrol(member: M): AdmitResult<M> {
    this.members.set(member.id, member);
    this.resumeKeys.set(member.resumeKey, member.id);
    this.log.info("participant joined", { participant: member.id, role: member.role, senders: senderCount(this.members.values()) });
    this.context.events?.send(this.name, {
      type: "participant.joined",
      participant: { id: member.id, name: member.name, role: member.role },
    });
    // The joiner's session holds its copy until its `joined` is out (SignalingSession.join).
    this.broadcastRoster();
    return { ok: true, participant: member };
  }

  /**
   * The participant's socket dropped without `leave`. Where the room holds places (and is not closing)
   * they stay, id, tile and all, for RECONNECT_GRACE_MS, waiting for a `join` with their resume key; past
   * it they leave as anyone does. Otherwise they leave now.
   */
  async disconnected(id: string, reason: string): Promise<void> {
    const m = this.members.get(id);
    if (!m) return;
    if (!this.holdsDroppedParticipants || this.closing) return this.remove(id, reason);
    if (m.disconnectedAt !== undefined) return;
    m.channel = DETACHED_CHANNEL;
    m.disconnectedAt = performance.now();
    const graceMs = this.config.reconnectGraceMs;
    const timer = setTimeout(() => {
      this.graceTimers.delete(id);
      if (this.members.get(id) !== m) return;
      void this.remove(id, `${reason}; did not reconnect within ${graceMs / 1000} s`);
    }, graceMs);
    timer.unref();
    this.graceTimers.set(id, timer);
    this.log.info("participant disconnected: holding their place", { participant: id, reason, graceMs });
    await this.onDisconnected(m, reason);
  }

  /**
   * A new socket presenting a resume key: the participant it belongs to, now on `channel` (their old socket,
   * if still open, is told `replaced`); undefined when the key is unknown here (the caller admits afresh).
   */
  resume(key: string, channel: ParticipantChannel): AdmitResult<M> | undefined {
    if (this.closing) return undefined;
    const id = this.resumeKeys.get(key);
    const m = id === undefined ? undefined : this.members.get(id);
    if (!m) return undefined;
    clearTimeout(this.graceTimers.get(m.id));
    this.graceTimers.delete(m.id);
    const previous = m.channel;
    const gapMs = m.disconnectedAt === undefined ? 0 : performance.now() - m.disconnectedAt;
    m.channel = channel;
    m.disconnectedAt = undefined;
    previous.close("replaced");
    this.log.info("participant reconnected", { participant: m.id, afterMs: Math.round(gapMs) });
    this.onResumed(m, gapMs);
    return { ok: true, participant: m };
  }

  /** What the mode does when a participant's socket drops and their place is held (their media stops). */
  protected onDisconnected(_m: M, _reason: string): Promise<void> | void {}

  /** What the mode does when a participant comes back on a new socket (they will offer afresh). */
  protected onResumed(_m: M, _gapMs: number): void {}

  /** Takes a participant out of the room's books (members, held place, resume key); the mode's remove() calls it. */
  protected forget(id: string, reason: string): M | undefined {
    const m = this.members.get(id);
    if (!m) return undefined;
    this.members.delete(id);
    this.context.events?.send(this.name, { type: "participant.left", participant: { id: m.id, name: m.name }, reason });
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.delete(id);
    this.resumeKeys.delete(m.resumeKey);
    return m;
  }

  /** Forgets every held place (the room is closing). */
  protected forgetHeldPlaces(): void {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
    this.resumeKeys.clear();
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
