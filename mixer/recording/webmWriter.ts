import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from "node:fs";
import { element, encodeSize, floatElement, stringElement, uintElement, UNKNOWN_SIZE, voidElement } from "./ebml.js";
import type { MediaFileWriter } from "./mediaFileWriter.js";
import { opusHead } from "./opusHead.js";

export interface WebmTrackSettings {
  readonly width: number;
  readonly height: number;
  readonly audioChannels: number;
  /** Samples of encoder delay to drop at the start (libopus at 48 kHz: 312). */
  readonly opusPreSkip?: number;
  /** False for an audio-only file (a participant's own voice); default true. */
  readonly video?: boolean;
}

interface PendingBlock {
  readonly track: 1 | 2;
  readonly timeMs: number;
  readonly data: Buffer;
  readonly keyframe: boolean;
}

const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
const ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  seekHead: 0x114d9b74,
  seek: 0x4dbb,
  seekId: 0x53ab,
  seekPosition: 0x53ac,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  duration: 0x4489,
  tracks: 0x1654ae6b,
  cluster: 0x1f43b675,
  cues: 0x1c53bb6b,
} as const;
/** A new cluster at least this often, so a crash loses at most about this much (plus the interleaving hold). */
const MAX_CLUSTER_MS = 1000;
/** The most one track may wait for the other before blocks are written anyway (an encoder restart, say). */
const MAX_INTERLEAVE_HOLD_MS = 500;
const SEEK_HEAD_RESERVE = 64;
const DURATION_BYTES = 11;
const AUDIO_FRAME_MS = 20;

/**
 * A live WebM (Matroska) file: VP8 video and Opus audio, written as it goes. The Segment has an unknown
 * size and each Cluster is written whole as soon as the next one starts (at every video keyframe, and at
 * least each second), so a process killed mid-recording leaves a file that plays up to its last cluster.
 * finish() adds what only a finished file can have (duration, cues for seeking, the Segment's size) by
 * writing over space reserved at the start, so the file is valid at every moment.
 */
export class WebmWriter implements MediaFileWriter {
  private readonly fd: number;
  private position = 0;
  private readonly segmentSizeAt: number;
  private readonly segmentDataAt: number;
  private readonly seekHeadAt: number;
  private readonly durationAt: number;
  private readonly queue: PendingBlock[] = [];
  private readonly newest = { [VIDEO_TRACK]: -1, [AUDIO_TRACK]: -1 };
  private readonly lastWritten = { [VIDEO_TRACK]: -1, [AUDIO_TRACK]: -1 };
  private cluster: { timeMs: number; at: number; blocks: Buffer[] } | undefined;
  private readonly cues: { timeMs: number; clusterPosition: number }[] = [];
  private endMs = 0;
  private finished = false;

  /** Creates `path` (it must not exist) and writes the header. */
  constructor(path: string, settings: WebmTrackSettings) {
    this.fd = openSync(path, "wx");
    try {
      this.write(
        element(
          ID.ebml,
          uintElement(0x4286, 1),
          uintElement(0x42f7, 1),
          uintElement(0x42f2, 4),
          uintElement(0x42f3, 8),
          stringElement(0x4282, "webm"),
          uintElement(0x4287, 4),
          uintElement(0x4285, 2),
        ),
      );
      this.write(Buffer.from([0x18, 0x53, 0x80, 0x67]));
      this.segmentSizeAt = this.position;
      this.write(UNKNOWN_SIZE);
      this.segmentDataAt = this.position;
      this.seekHeadAt = this.position;
      this.write(voidElement(SEEK_HEAD_RESERVE));
      const infoHead = [uintElement(ID.timecodeScale, 1_000_000), stringElement(0x4d80, "tessera"), stringElement(0x5741, "tessera")];
      const info = element(ID.info, ...infoHead, voidElement(DURATION_BYTES));
      this.durationAt = this.position + info.length - DURATION_BYTES;
      this.write(info);
      const audioOnly = settings.video === false;
      this.write(element(ID.tracks, ...(audioOnly ? [] : [videoTrack(settings)]), audioTrack(settings)));
      // No video to wait for: audio goes out as it comes (clusters still start at least each second).
      if (audioOnly) this.newest[VIDEO_TRACK] = Infinity;
    } catch (err) {
      // No header, no recording: do not leave a stub that would be listed as an interrupted one.
      closeSync(this.fd);
      rmSync(path, { force: true });
      throw err;
    }
  }

  /** Bytes in the file so far. */
  get bytes(): number {
    return this.position;
  }

  /** Milliseconds of media written or queued. */
  get durationMs(): number {
    return this.endMs;
  }

  addVideo(timeMs: number, data: Buffer, keyframe: boolean): void {
    this.enqueue({ track: VIDEO_TRACK, timeMs, data, keyframe });
  }

  addAudio(timeMs: number, data: Buffer): void {
    this.enqueue({ track: AUDIO_TRACK, timeMs, data, keyframe: true });
  }

  /** Writes everything held, then the cues, the duration and the Segment's size; closes the file. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.release(Infinity);
      this.flushCluster();
      const cuesAt = this.position;
      if (this.cues.length) {
        this.write(
          element(
            ID.cues,
            ...this.cues.map((c) =>
              element(
                0xbb,
                uintElement(0xb3, c.timeMs),
                element(0xb7, uintElement(0xf7, VIDEO_TRACK), uintElement(0xf1, c.clusterPosition)),
              ),
            ),
          ),
        );
        const seek = element(
          ID.seek,
          element(ID.seekId, Buffer.from([0x1c, 0x53, 0xbb, 0x6b])),
          uintElement(ID.seekPosition, cuesAt - this.segmentDataAt, 8),
        );
        const seekHead = element(ID.seekHead, seek);
        this.writeAt(Buffer.concat([seekHead, voidElement(SEEK_HEAD_RESERVE - seekHead.length)]), this.seekHeadAt);
      }
      this.writeAt(floatElement(ID.duration, this.endMs), this.durationAt);
      this.writeAt(encodeSize(this.position - this.segmentDataAt, 8), this.segmentSizeAt);
    } catch (err) {
      this.cutToLastElement();
      throw err;
    } finally {
      closeSync(this.fd);
    }
  }

  /** Closes the file as it stands (as a crash would leave it), without the finishing touches. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.cutToLastElement();
    closeSync(this.fd);
  }

  // A write that failed part-way (disk full) leaves bytes past `position` that claim more than the file
  // holds; cutting them off leaves the file ending on its last whole cluster, which players read.
  private cutToLastElement(): void {
    try {
      ftruncateSync(this.fd, this.position);
    } catch {
      /* nothing more can be done for this file */
    }
  }

  private enqueue(block: PendingBlock): void {
    if (this.finished) return;
    // Each track's times only go forward; the mixers' clocks promise it, this makes sure.
    const timeMs = Math.max(Math.round(block.timeMs), 0, this.newest[block.track]);
    this.newest[block.track] = timeMs;
    this.queue.push({ ...block, timeMs });
    this.endMs = Math.max(this.endMs, timeMs + (block.track === AUDIO_TRACK ? AUDIO_FRAME_MS : 0));
    // Blocks go out in time order across both tracks: hold each until the other track has caught up,
    // but never longer than the hold limit, so one stalled track cannot stop the file growing.
    const caughtUp = Math.min(this.newest[VIDEO_TRACK], this.newest[AUDIO_TRACK]);
    const newest = Math.max(this.newest[VIDEO_TRACK], this.newest[AUDIO_TRACK]);
    this.release(Math.max(caughtUp, newest - MAX_INTERLEAVE_HOLD_MS));
  }

  private release(upToMs: number): void {
    this.queue.sort((a, b) => a.timeMs - b.timeMs || a.track - b.track);
    let n = 0;
    while (n < this.queue.length && this.queue[n].timeMs <= upToMs) n++;
    for (const block of this.queue.splice(0, n)) this.writeBlock(block);
  }

  private writeBlock(block: PendingBlock): void {
    // A track's blocks released after the other track forced the hold must not go back in time.
    const timeMs = Math.max(block.timeMs, this.lastWritten[block.track], this.cluster?.timeMs ?? 0);
    this.lastWritten[block.track] = timeMs;
    const startsGop = block.track === VIDEO_TRACK && block.keyframe;
    if (!this.cluster || (startsGop && this.cluster.blocks.length > 0) || timeMs - this.cluster.timeMs >= MAX_CLUSTER_MS) {
      this.flushCluster();
      this.cluster = { timeMs, at: this.position, blocks: [] };
    }
    if (startsGop && this.cluster.blocks.length === 0) this.cues.push({ timeMs, clusterPosition: this.position - this.segmentDataAt });
    const header = Buffer.alloc(4);
    header[0] = 0x80 | block.track;
    header.writeInt16BE(timeMs - this.cluster.timeMs, 1);
    header[3] = block.keyframe ? 0x80 : 0x00;
    this.cluster.blocks.push(element(0xa3, header, block.data));
  }

  private flushCluster(): void {
    if (!this.cluster || this.cluster.blocks.length === 0) return;
    this.write(element(ID.cluster, uintElement(0xe7, this.cluster.timeMs), ...this.cluster.blocks));
    this.cluster = undefined;
  }

  private write(buf: Buffer): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, this.position + done);
    this.position += buf.length;
  }

  private writeAt(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
  }
}

function videoTrack(s: WebmTrackSettings): Buffer {
  return element(
    0xae,
    uintElement(0xd7, VIDEO_TRACK),
    uintElement(0x73c5, randomUid()),
    uintElement(0x83, 1),
    uintElement(0x9c, 0),
    stringElement(0x86, "V_VP8"),
    element(0xe0, uintElement(0xb0, s.width), uintElement(0xba, s.height)),
  );
}

function audioTrack(s: WebmTrackSettings): Buffer {
  const preSkip = s.opusPreSkip ?? 312;
  return element(
    0xae,
    uintElement(0xd7, AUDIO_TRACK),
    uintElement(0x73c5, randomUid()),
    uintElement(0x83, 2),
    uintElement(0x9c, 0),
    stringElement(0x86, "A_OPUS"),
    element(0x63a2, opusHead(s.audioChannels, preSkip)),
    uintElement(0x56aa, Math.round((preSkip / 48_000) * 1e9)),
    uintElement(0x56bb, 80_000_000),
    element(0xe1, floatElement(0xb5, 48_000), uintElement(0x9f, s.audioChannels)),
  );
}

function randomUid(): number {
  return 1 + Math.floor(Math.random() * 0xffffffff);
}
