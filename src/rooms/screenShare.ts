import type { RtpPacket } from "werift";
import type { FaultBoundary } from "../../mixer/faults.js";
import type { ServerMessage } from "../../protocol/messages.js";
import { ProtocolError } from "../../protocol/protocolError.js";
import type { Logger } from "../log.js";
import { screenSourceId } from "../../protocol/screenSource.js";
import type { ScreenShareControl } from "./capabilities.js";
import { UnknownParticipantError } from "./errors.js";
import type { IceCandidate } from "../../protocol/messages.js";
import type { Member } from "./participant.js";
import type { ParticipantPeer } from "./roomMedia.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** A screen share while another participant's runs (SCREEN_SHARE_POLICY=refuse), or one by a viewer. */
export class ScreenBusyError extends ProtocolError<"screen-busy"> {
  constructor(message: string) {
    super("screen-busy", message);
  }
}

export interface ScreenShareOptions {
  readonly roomName: string;
  /** `refuse` a second share (screen-busy), or let it `takeover` (the first one stops). */
  readonly policy: "refuse" | "takeover";
  /** A share whose connection is not up this long after its offer is stopped. */
  readonly connectTimeoutMs: number;
  /** A fresh peer connection for the screen (the room's kind of peer). */
  readonly createPeer: () => ParticipantPeer;
  /** Where the screen's video goes: the mixer (MCU), the other participants (SFU). */
  readonly sink: ScreenSink;
  /** The room's member by id, if present. */
  readonly member: (id: string) => Member | undefined;
  /** To everyone in the room. */
  readonly broadcast: (message: ServerMessage) => void;
  readonly log: Logger;
  readonly faults: FaultBoundary;
}

/** What a room does with a share's video. */
export interface ScreenSink {
  /** The share's connection is negotiated: start drawing or forwarding `sourceId`, under the sharer's name (`owner`: their id). */
  added(sourceId: string, name: string, owner: string): void;
  /** The share ended. */
  removed(sourceId: string): Promise<void> | void;
  /** One RTP packet of the screen; `codecChanged` on its first packet and whenever the codec changes. */
  video(sourceId: string, packet: RtpPacket, codec: VideoCodec, codecChanged: boolean): void;
  /** One RTP packet of the screen's sound (a tab's), where the room takes it; absent: dropped. */
  audio?(sourceId: string, packet: RtpPacket): void;
}

interface Share {
  readonly owner: string;
  /** The screen's id in the mix's layout (never a participant id: those are 8 characters). */
  readonly tileId: string;
  readonly peer: ParticipantPeer;
  deadline: NodeJS.Timeout | undefined;
  codec: VideoCodec | undefined;
}

/** The screen's tile id in the mix's layout (MCU), its forwarded stream's id (SFU). */
export const screenTileId = screenSourceId;

/**
 * One room's screen share (MCU and SFU): at most one at a time, carried on a second peer connection of the sharer's
 * (one sendonly video section): the MCU's mixer draws it as a `screen` source, the SFU forwards it to
 * everyone else as a stream of its own. It ends with `stopScreen` (the
 * page's button or the browser's own "stop sharing"), when its connection fails or never comes up, when the
 * sharer leaves or drops, or when another takes over; everyone hears `screen` on each change.
 */
export class RoomScreenShare implements ScreenShareControl {
  private share: Share | undefined;
  private closed = false;

  constructor(private readonly options: ScreenShareOptions) {}

  get screenSharer(): string | undefined {
    return this.share?.owner;
  }

  /** The share's tile id (in the mixer's layout), if any. */
  get tileId(): string | undefined {
    return this.share?.tileId;
  }

  async shareScreen(id: string, sdp: string): Promise<string> {
    const member = this.options.member(id);
    if (!member) throw new UnknownParticipantError(`no participant "${id}" in room "${this.options.roomName}"`);
    if (member.role !== "sender") throw new ScreenBusyError("viewers cannot share a screen: join as a sender");
    const current = this.share;
    if (current && current.owner !== id) {
      if (this.options.policy === "refuse") {
        const sharer = this.options.member(current.owner)?.name ?? current.owner;
        throw new ScreenBusyError(`${sharer} is sharing a screen; one screen at a time: ask them to stop first`);
      }
      this.stopScreen(current.owner, `${member.name} took over the screen`);
    } else if (current) {
      // The same sharer again (a new window picked): the old connection makes way.
      void this.end(current, "shared again");
    }
    const share: Share = { owner: id, tileId: screenTileId(id), peer: this.options.createPeer(), deadline: undefined, codec: undefined };
    this.share = share;
    this.wire(share);
    this.wireAudio(share);
    try {
      const answer = await share.peer.answer(sdp);
      if (this.share !== share) throw new ScreenBusyError("the share was stopped before its connection was set up");
      this.options.sink.added(share.tileId, member.name, share.owner);
      this.options.log.info("screen share started", { participant: id });
      this.options.broadcast({ type: "screen", id });
      return answer;
    } catch (err) {
      if (this.share === share) void this.end(share, "offer refused");
      throw err;
    }
  }

  async screenCandidate(id: string, candidate: IceCandidate | null): Promise<void> {
    const share = this.share;
    if (!share || share.owner !== id) return;
    await share.peer.addRemoteCandidate(candidate);
  }

  stopScreen(id: string, reason: string): void {
    const share = this.share;
    if (!share || share.owner !== id) return;
    void this.end(share, reason);
    this.options.log.info("screen share stopped", { participant: id, reason });
    if (!this.closed) this.options.broadcast({ type: "screen", id: null, reason });
  }

  /** True when `tileId` is the screen's: its keyframe request went to the screen's connection. */
  requestKeyframe(tileId: string): boolean {
    if (this.share?.tileId !== tileId) return false;
    this.share.peer.requestKeyframe();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    const share = this.share;
    if (share) await this.end(share, "room closed");
  }

  private wire(share: Share): void {
    const { peer } = share;
    share.deadline = setTimeout(
      this.options.faults.wrap("screen connect deadline", () => {
        if (this.share === share && !peer.isConnected) this.stopScreen(share.owner, "the screen's connection did not come up");
      }),
      this.options.connectTimeoutMs,
    );
    share.deadline.unref();
    peer.on("connected", () => clearTimeout(share.deadline));
    peer.on("failed", (reason) => this.stopScreen(share.owner, `the screen's connection failed: ${reason}`));
    peer.on(
      "videoRtp",
      this.options.faults.wrap("screen video in", (packet: RtpPacket, codec: VideoCodec) => {
        if (this.share !== share) return;
        const changed = share.codec !== codec;
        share.codec = codec;
        this.options.sink.video(share.tileId, packet, codec, changed);
      }),
    );
  }

  private wireAudio(share: Share): void {
    const audio = this.options.sink.audio?.bind(this.options.sink);
    if (!audio) return;
    share.peer.on(
      "audioRtp",
      this.options.faults.wrap("screen audio in", (packet: RtpPacket) => {
        if (this.share === share) audio(share.tileId, packet);
      }),
    );
  }

  private async end(share: Share, _reason: string): Promise<void> {
    if (this.share === share) this.share = undefined;
    clearTimeout(share.deadline);
    await Promise.all([this.options.sink.removed(share.tileId), share.peer.close()]);
  }
}
