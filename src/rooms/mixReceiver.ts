import { RtpHeader, RtpPacket } from "werift";
import { sameStream, type MixStream, type RenditionLadder } from "../../mixer/video/renditionLadder.js";
import { copyForReceiver } from "../peers/rtpCopy.js";
import { RungChooser, type DisplayBox, type ProbeOutcome, type ProbeRequest, type RungChoice, type RungPolicy } from "./rungChooser.js";
import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** What the receiver is shown now: the size of its mix, or paused. */
export interface MixState {
  readonly width: number;
  readonly height: number;
  readonly paused: boolean;
}

/**
 * One MCU receiver's place on the rendition ladder: which stream of the mix its one video track carries
 * now, and the stream it moves to. A move happens at the first packet of the new stream's keyframe, and
 * the old stream's packets go on until then, so the picture never freezes in between. Packets leave with
 * this receiver's own continuous sequence numbers (each stream numbers its own) and timestamps that never
 * go back (every stream of the room runs on one RTP clock, so they only need a nudge when two streams
 * encoded the same instant).
 */
export class MixReceiver {
  private readonly chooser: RungChooser;
  /** The codec its answer fixed. */
  private codec: VideoCodec = "vp8";
  /** The stream whose packets go out now (undefined: none yet, or paused). */
  private current: MixStream | undefined;
  /** The stream it moves to at that stream's next keyframe. */
  private pending: MixStream | undefined;
  private choice: RungChoice;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq: number | undefined;
  private lastTimestamp: number | undefined;
  /** The last packet sent ended a frame: padding may go in before the next. */
  private lastMarker = false;
  /** The state last reported (the `mix` message). */
  private reported: MixState | undefined;

  constructor(ladder: RenditionLadder, policy?: RungPolicy) {
    this.chooser = new RungChooser(ladder, policy);
    this.choice = this.chooser.choice;
    this.retarget();
  }

  /** The streams this receiver needs encoded: the one it is on and the one it is moving to. */
  get streams(): MixStream[] {
    return [this.current, this.pending].filter((s): s is MixStream => s !== undefined);
  }

  /** The stream a keyframe request (PLI) of this receiver is for: the one it waits for first. */
  get keyframeStream(): MixStream | undefined {
    return this.pending ?? this.current;
  }

  /** What it is shown now (the stream it is on, or paused), once it has been shown anything. */
  get state(): MixState | undefined {
    if (this.choice.paused) return { width: 0, height: 0, paused: true };
    return this.current && { width: this.current.width, height: this.current.height, paused: false };
  }

  /**
   * A fresh connection (the first, or a new peer after a resume): its track starts at the next keyframe of
   * the stream chosen for it. Returns true: the wanted streams changed.
   */
  restart(codec: VideoCodec): boolean {
    this.codec = codec;
    this.current = undefined;
    this.lastSeq = undefined;
    this.lastTimestamp = undefined;
    this.reported = undefined;
    return this.retarget();
  }

  /** Returns true when the streams this receiver needs changed. */
  setDisplay(display: DisplayBox, now: number): boolean {
    this.choice = this.chooser.setDisplay(display, now);
    return this.retarget();
  }

  /** Returns true when the streams this receiver needs changed. */
  setEstimate(availableBps: number, now: number): boolean {
    this.choice = this.chooser.setEstimate(availableBps, now);
    return this.retarget();
  }

  /** The probe of the link due before this receiver's next move up (the room runs it on the peer and calls probeDone). */
  probeWanted(now: number): ProbeRequest | undefined {
    // On a stream and not moving, or paused (the probe then shows whether the video may come back).
    return (this.current && !this.pending) || this.choice.paused ? this.chooser.probeWanted(now) : undefined;
  }

  /** Returns true when the streams this receiver needs changed. */
  probeDone(outcome: ProbeOutcome, deliveredBps: number | undefined, now: number): boolean {
    this.choice = this.chooser.probeDone(outcome, deliveredBps, now);
    return this.retarget();
  }

  /**
   * A packet of one of the room's streams: this receiver's own copy to send, or undefined if it is not on
   * that stream. `switched` is set when this packet moved it to a new stream.
   */
  route(packet: RtpPacket, stream: MixStream, keyframeStart: boolean): { packet: RtpPacket; switched: boolean } | undefined {
    let switched = false;
    if (this.pending && keyframeStart && sameStream(stream, this.pending)) {
      this.current = this.pending;
      this.pending = undefined;
      switched = true;
      const h = packet.header;
      this.seqOffset = this.lastSeq === undefined ? 0 : (this.lastSeq + 1 - h.sequenceNumber) & 0xffff;
      // Streams share the room's RTP clock: only a frame of the same instant as the last one sent needs moving on.
      this.tsOffset =
        this.lastTimestamp !== undefined && ((h.timestamp - this.lastTimestamp) | 0) <= 0
          ? (this.lastTimestamp + 1 - h.timestamp) >>> 0
          : 0;
    }
    if (!this.current || !sameStream(stream, this.current)) return undefined;
    const copy = copyForReceiver(packet);
    copy.header.sequenceNumber = (packet.header.sequenceNumber + this.seqOffset) & 0xffff;
    copy.header.timestamp = (packet.header.timestamp + this.tsOffset) >>> 0;
    this.lastSeq = copy.header.sequenceNumber;
    this.lastTimestamp = copy.header.timestamp;
    this.lastMarker = copy.header.marker;
    return { packet: copy, switched };
  }

  /**
   * A padding-only packet (RTP padding of up to 255 bytes, no payload) in this receiver's sequence, for a probe
   * of its link: between two frames only (the receiver's packet buffer takes padding as a gap filler, not inside
   * a frame), with the last frame's timestamp; the packets after it move one sequence number on. Undefined
   * mid-frame or before anything was sent.
   */
  padding(bytes: number): RtpPacket | undefined {
    // Paused, nothing else goes on the video track: padding may go after whatever was sent last.
    const between = this.choice.paused || (this.lastMarker && this.current !== undefined);
    if (this.lastSeq === undefined || this.lastTimestamp === undefined || !between) return undefined;
    const paddingSize = Math.max(1, Math.min(255, Math.round(bytes)));
    this.lastSeq = (this.lastSeq + 1) & 0xffff;
    this.seqOffset = (this.seqOffset + 1) & 0xffff;
    // The padding bytes travel as the payload: werift's SRTP encrypts the header and the payload only, and
    // would leave a header's paddingSize unsent. The last byte counts them (RFC 3550 5.1).
    const bytesOut = Buffer.alloc(paddingSize);
    bytesOut[paddingSize - 1] = paddingSize;
    return new RtpPacket(
      new RtpHeader({ sequenceNumber: this.lastSeq, timestamp: this.lastTimestamp, marker: false, padding: true, paddingSize }),
      bytesOut,
    );
  }

  /** The state to tell the page, when it changed since last told. */
  takeStateChange(): MixState | undefined {
    const state = this.state;
    if (!state) return undefined;
    const r = this.reported;
    if (r && r.width === state.width && r.height === state.height && r.paused === state.paused) return undefined;
    this.reported = state;
    return state;
  }

  private retarget(): boolean {
    const before = this.streams;
    if (this.choice.paused) {
      this.current = undefined;
      this.pending = undefined;
    } else {
      const target: MixStream = { codec: this.codec, ...this.choice.rung };
      if (this.current && sameStream(this.current, target)) this.pending = undefined;
      else this.pending = target;
    }
    const after = this.streams;
    return before.length !== after.length || before.some((s, i) => !sameStream(s, after[i]));
  }
}
