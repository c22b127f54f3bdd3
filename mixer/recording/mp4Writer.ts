import { closeSync, openSync, rmSync, statSync } from "node:fs";
import {
  AV_CHANNEL_ORDER_NATIVE,
  AV_CODEC_ID_H264,
  AV_CODEC_ID_OPUS,
  AV_LOG_QUIET,
  AV_PKT_FLAG_KEY,
  AVMEDIA_TYPE_AUDIO,
  AVMEDIA_TYPE_VIDEO,
} from "node-av/constants";
import { Dictionary, FormatContext, Log, Packet, Rational, type Stream } from "node-av/lib";
import { opusHead } from "./opusHead.js";
import type { MediaFileWriter } from "./mediaFileWriter.js";

export interface Mp4TrackSettings {
  readonly width: number;
  readonly height: number;
  readonly audioChannels: number;
  /** Samples of encoder delay to drop at the start (libopus at 48 kHz: 312). */
  readonly opusPreSkip?: number;
}

/**
 * A fragment at least this often (microseconds), so a crash loses at most about this much: the mov muxer
 * writes each fragment (moof + mdat) whole as the next begins, at every keyframe and at least each second.
 */
const FRAGMENT_US = 1_000_000;
/**
 * Audio held while waiting for the first video keyframe (the header needs the H264 parameter sets it
 * carries): 10 s. The mixer's encoder runs at 30 fps and a recording asks it for a keyframe at once, so
 * this is a bound for a stalled encoder, not a wait anyone should meet.
 */
const MAX_HELD_AUDIO = 500;
const AUDIO_FRAME_MS = 20;
const VIDEO_TIME_BASE = new Rational(1, 90_000);
const AUDIO_TIME_BASE = new Rational(1, 48_000);

/**
 * A live fragmented MP4 (ISO BMFF): H264 video (Annex-B in, as the mix's encoder makes it) and Opus audio,
 * muxed in this process by FFmpeg's mov muxer through node-av (docs/decisions.md, "MP4 recordings"). The
 * moov is written empty at the start and each fragment (moof + mdat) whole as the next begins, so a process
 * killed mid-recording leaves a file that plays up to its last fragment; finish() writes the trailer (the
 * fragments' random-access index, mfra) and the caller may then rewrite it with a classic index
 * (recordings/mp4Index.ts) for players that want one.
 *
 * The header waits for the first video keyframe (its SPS and PPS are the track's configuration); audio that
 * comes first is held. FFmpeg's own I/O buffer is flushed after every packet (`flush_packets`), so what the
 * muxer has written is in the kernel's page cache, where a SIGKILL cannot take it.
 */
export class Mp4Writer implements MediaFileWriter {
  private readonly path: string;
  private context: FormatContext | undefined;
  private video: Stream | undefined;
  private audio: Stream | undefined;
  private readonly packet = new Packet();
  private readonly held: { timeMs: number; data: Buffer }[] = [];
  private readonly newest = { video: -1, audio: -1 };
  private endMs = 0;
  private finished = false;
  private writtenBytes = 0;

  /** Creates `path` (it must not exist); the header follows with the first keyframe. */
  constructor(
    path: string,
    private readonly settings: Mp4TrackSettings,
  ) {
    // Claim the name now, as the WebM writer does: a clash or an unwritable directory fails the start.
    closeSync(openSync(path, "wx"));
    this.path = path;
    this.packet.alloc();
    Log.setLevel(AV_LOG_QUIET);
  }

  /** Bytes in the file so far. */
  get bytes(): number {
    if (!this.context) return this.writtenBytes;
    try {
      return statSync(this.path).size;
    } catch {
      return this.writtenBytes;
    }
  }

  /** Milliseconds of media written or held. */
  get durationMs(): number {
    return this.endMs;
  }

  addVideo(timeMs: number, data: Buffer, keyframe: boolean): void {
    if (this.finished) return;
    if (!this.context) {
      if (!keyframe) return;
      this.open(data);
      for (const a of this.held.splice(0)) this.writeAudio(a.timeMs, a.data);
    }
    const t = this.forward("video", timeMs);
    this.endMs = Math.max(this.endMs, t);
    this.writePacket(this.video!, BigInt(Math.round(t * 90)), VIDEO_TIME_BASE, 0n, data, keyframe);
  }

  addAudio(timeMs: number, data: Buffer): void {
    if (this.finished) return;
    if (!this.context) {
      this.held.push({ timeMs, data });
      if (this.held.length > MAX_HELD_AUDIO) this.held.shift();
      this.endMs = Math.max(this.endMs, timeMs + AUDIO_FRAME_MS);
      return;
    }
    this.writeAudio(timeMs, data);
  }

  /** Writes the trailer (fragment index) and closes the file. A file that never had a keyframe is left empty. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const context = this.context;
    if (!context) return;
    try {
      const code = context.writeTrailerSync();
      if (code < 0) throw new Error(`the MP4 muxer could not finish the file (FFmpeg error ${code})`);
    } finally {
      this.writtenBytes = this.bytes;
      this.release();
    }
  }

  /** Closes the file as it stands (as a crash would leave it): every fragment written so far stays playable. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.writtenBytes = this.bytes;
    this.release();
  }

  private writeAudio(timeMs: number, data: Buffer): void {
    const t = this.forward("audio", timeMs);
    this.endMs = Math.max(this.endMs, t + AUDIO_FRAME_MS);
    this.writePacket(this.audio!, BigInt(Math.round(t * 48)), AUDIO_TIME_BASE, BigInt(AUDIO_FRAME_MS * 48), data, true);
  }

  /** Each track's times only go forward (the mixers' clocks promise it; this makes sure): MP4 wants rising dts. */
  private forward(track: "video" | "audio", timeMs: number): number {
    const t = Math.max(Math.round(timeMs), 0, this.newest[track] + 1);
    this.newest[track] = t;
    return t;
  }

  private open(firstKeyframe: Buffer): void {
    const context = new FormatContext();
    let code = context.allocOutputContext2(null, "mp4", this.path);
    if (code < 0) throw new Error(`could not set up the MP4 muxer (FFmpeg error ${code})`);
    this.context = context;
    const video = context.newStream(null);
    video.codecpar.codecType = AVMEDIA_TYPE_VIDEO;
    video.codecpar.codecId = AV_CODEC_ID_H264;
    video.codecpar.width = this.settings.width;
    video.codecpar.height = this.settings.height;
    // Annex-B SPS + PPS: the muxer turns them into the avcC record and the samples into length-prefixed NALs.
    video.codecpar.extradata = parameterSets(firstKeyframe);
    video.timeBase = VIDEO_TIME_BASE;
    const audio = context.newStream(null);
    audio.codecpar.codecType = AVMEDIA_TYPE_AUDIO;
    audio.codecpar.codecId = AV_CODEC_ID_OPUS;
    audio.codecpar.sampleRate = 48_000;
    audio.codecpar.channelLayout = {
      nbChannels: this.settings.audioChannels,
      order: AV_CHANNEL_ORDER_NATIVE,
      mask: this.settings.audioChannels === 1 ? 4n : 3n,
    };
    audio.codecpar.extradata = opusHead(this.settings.audioChannels, this.settings.opusPreSkip ?? 312);
    audio.timeBase = AUDIO_TIME_BASE;
    this.video = video;
    this.audio = audio;
    code = context.openOutputSync();
    if (code < 0) throw new Error(`could not open the MP4 file (FFmpeg error ${code})`);
    const options = Dictionary.fromObject({
      movflags: "frag_keyframe+empty_moov+default_base_moof",
      frag_duration: String(FRAGMENT_US),
      flush_packets: "1",
    });
    code = context.writeHeaderSync(options);
    if (code < 0) throw new Error(`could not write the MP4 header (FFmpeg error ${code})`);
  }

  private writePacket(stream: Stream, pts: bigint, timeBase: Rational, duration: bigint, data: Buffer, keyframe: boolean): void {
    const p = this.packet;
    p.data = data;
    p.streamIndex = stream.index;
    p.pts = pts;
    p.dts = pts;
    p.duration = duration;
    p.timeBase = timeBase;
    p.flags = keyframe ? AV_PKT_FLAG_KEY : (0 as typeof AV_PKT_FLAG_KEY);
    // The muxer may have changed the stream's time base at the header (mov picks its own).
    p.rescaleTs(timeBase, stream.timeBase);
    const code = this.context!.writeFrameSync(p);
    p.unref();
    if (code < 0) throw new Error(`could not write the recording: the MP4 muxer refused a packet (FFmpeg error ${code})`);
  }

  private release(): void {
    const context = this.context;
    this.context = undefined;
    try {
      context?.closeOutputSync();
      context?.freeContext();
    } finally {
      this.packet.free();
    }
  }

  /** Removes the file (a recording that never got a keyframe has only its claimed, empty name). */
  static discardEmpty(path: string): void {
    rmSync(path, { force: true });
  }
}

/** The SPS and PPS NAL units (Annex-B, with start codes) at the front of an IDR access unit. */
export function parameterSets(accessUnit: Buffer): Buffer {
  const units: Buffer[] = [];
  for (const nal of annexBUnits(accessUnit)) {
    const type = nal[0] & 0x1f;
    if (type === 7 || type === 8) units.push(Buffer.from([0, 0, 0, 1]), nal);
  }
  if (units.length < 4) throw new Error("the first H264 keyframe carries no SPS and PPS");
  return Buffer.concat(units);
}

function* annexBUnits(buf: Buffer): Generator<Buffer> {
  let start = -1;
  let i = 0;
  while (i + 3 <= buf.length) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) yield trimZeros(buf.subarray(start, i));
      i += 3;
      start = i;
    } else i++;
  }
  if (start >= 0 && start < buf.length) yield buf.subarray(start);
}

function trimZeros(nal: Buffer): Buffer {
  let end = nal.length;
  while (end > 0 && nal[end - 1] === 0) end--;
  return nal.subarray(0, end);
}
