import { dePacketizeRtpPackets, type RtpPacket } from "werift";
import { nalUnits } from "../rtp/h264Packetizer.js";
import type { VideoCodec } from "./videoCodec.js";

export interface EncodedFrame {
  readonly data: Buffer;
  readonly isKeyframe: boolean;
  /** RTP timestamp (90 kHz), unwrapped to keep increasing across the 32-bit wrap. */
  readonly timestamp: number;
}

export interface FrameAssemblerSink {
  frame(frame: EncodedFrame): void;
  /** The reference chain is broken: nothing decodable comes until the next keyframe. */
  needKeyframe(): void;
}

const DEPACKETIZER = { vp8: "vp8", h264: "MPEG4/ISO/AVC" } as const;
const H264_IDR_SLICE = 5;

/**
 * Whether a depacketized frame starts a new reference chain. werift 0.24 reads an H264 keyframe only from a
 * single-NAL or FU-A packet: an IDR aggregated with its SPS and PPS in one STAP-A packet (what Chromium's OpenH264
 * sends for a small picture) goes unnoticed, and the frame would be dropped while waiting for a keyframe that
 * already came. The Annex-B access unit itself says: it holds an IDR slice.
 */
function isKeyframe(codec: VideoCodec, result: { isKeyframe: boolean; data: Buffer }): boolean {
  if (result.isKeyframe || codec !== "h264") return result.isKeyframe;
  return nalUnits(result.data).some((nal) => (nal[0] & 0x1f) === H264_IDR_SLICE);
}

/**
 * Turns in-order RTP packets (from the reorder buffer) into whole encoded frames. A frame ends at the
 * marker bit. After any loss every frame up to the next keyframe is dropped: a decoder fed a frame whose
 * reference is missing draws garbage, while a dropped frame only holds the last good picture.
 */
export class FrameAssembler {
  private packets: RtpPacket[] = [];
  private broken = true;
  private timestampHigh = 0;
  private lastRawTimestamp: number | undefined;
  framesOut = 0;
  framesDropped = 0;

  constructor(
    private readonly codec: VideoCodec,
    private readonly sink: FrameAssemblerSink,
  ) {}

  packet(packet: RtpPacket): void {
    const current = this.packets[0];
    if (current && current.header.timestamp !== packet.header.timestamp) {
      // The previous frame's marker packet never came: treat as loss.
      this.lost();
    }
    this.packets.push(packet);
    if (packet.header.marker) this.completeFrame();
  }

  lost(): void {
    if (this.packets.length) this.framesDropped++;
    this.packets = [];
    this.markBroken();
  }

  private markBroken(): void {
    this.broken = true;
    this.sink.needKeyframe();
  }

  private completeFrame(): void {
    const packets = this.packets;
    this.packets = [];
    let result: ReturnType<typeof dePacketizeRtpPackets>;
    try {
      result = dePacketizeRtpPackets(DEPACKETIZER[this.codec], packets);
    } catch {
      this.framesDropped++;
      this.markBroken();
      return;
    }
    if (result.data.length === 0) return;
    const keyframe = isKeyframe(this.codec, result);
    if (this.broken && !keyframe) {
      this.framesDropped++;
      this.sink.needKeyframe();
      return;
    }
    this.broken = false;
    this.framesOut++;
    this.sink.frame({ data: result.data, isKeyframe: keyframe, timestamp: this.unwrapTimestamp(packets[0].header.timestamp) });
  }

  private unwrapTimestamp(raw: number): number {
    if (this.lastRawTimestamp !== undefined && raw < this.lastRawTimestamp && this.lastRawTimestamp - raw > 0x80000000) {
      this.timestampHigh += 0x100000000;
    }
    this.lastRawTimestamp = raw;
    return this.timestampHigh + raw;
  }
}
