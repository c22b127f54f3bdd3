/** IVF: the 32-byte file header plus 12-byte frame headers that ffmpeg reads and writes for VP8 on pipes. */
const FILE_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 12;

export function ivfFileHeader(fourcc: "VP80" | "VP90", width: number, height: number, timebaseDen: number): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.write("DKIF", 0, "ascii");
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(FILE_HEADER_BYTES, 6);
  header.write(fourcc, 8, "ascii");
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(timebaseDen, 16);
  header.writeUInt32LE(1, 20);
  return header;
}

export function ivfFrame(data: Buffer, pts: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32LE(data.length, 0);
  header.writeBigUInt64LE(BigInt(pts), 4);
  return Buffer.concat([header, data]);
}

export interface IvfFrame {
  readonly data: Buffer;
  readonly pts: number;
}

/** Incremental IVF parser for a byte stream that arrives in arbitrary chunks. */
export class IvfReader {
  private buffered: Buffer = Buffer.alloc(0);
  private headerSeen = false;

  push(chunk: Buffer): IvfFrame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: IvfFrame[] = [];
    let offset = 0;
    if (!this.headerSeen) {
      if (this.buffered.length < FILE_HEADER_BYTES) return frames;
      if (this.buffered.toString("ascii", 0, 4) !== "DKIF") throw new Error("not an IVF stream");
      offset = this.buffered.readUInt16LE(6);
      this.headerSeen = true;
    }
    while (this.buffered.length - offset >= FRAME_HEADER_BYTES) {
      const size = this.buffered.readUInt32LE(offset);
      if (this.buffered.length - offset - FRAME_HEADER_BYTES < size) break;
      const pts = Number(this.buffered.readBigUInt64LE(offset + 4));
      const start = offset + FRAME_HEADER_BYTES;
      frames.push({ data: this.buffered.subarray(start, start + size), pts });
      offset = start + size;
    }
    this.buffered = this.buffered.subarray(offset);
    return frames;
  }
}

/** VP8's frame tag: bit 0 of the first byte is 0 for a keyframe (RFC 6386 section 9.1). */
export function isVp8Keyframe(frame: Buffer): boolean {
  return frame.length > 0 && (frame[0] & 0x01) === 0;
}
