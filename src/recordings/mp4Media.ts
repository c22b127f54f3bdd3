import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Whether an MP4 recording holds any media: a complete `mdat` box with something in it, at the top level.
 * The writer creates the file at the start and writes its header (ftyp, an empty moov) with the first
 * keyframe, each fragment (moof + mdat) whole after it; a recording that failed or was killed before its
 * first fragment leaves a file no player can play.
 */

/** Top-level boxes looked at, at most: a fragmented file has its first mdat as its fourth box. */
const MAX_BOXES = 16;

/**
 * Walks the top-level boxes: yields the position whose first 16 bytes it needs next and is sent the bytes
 * read there; returns the answer. One walk serves the synchronous and the asynchronous reader.
 */
function* walk(fileSize: number): Generator<number, boolean, Buffer> {
  let at = 0;
  for (let n = 0; n < MAX_BOXES && at + 8 <= fileSize; n++) {
    const header = yield at;
    if (header.length < 8) return false;
    let size = header.readUInt32BE(0);
    const type = header.toString("latin1", 4, 8);
    let headerSize = 8;
    if (size === 1) {
      if (header.length < 16) return false;
      size = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (size === 0) size = fileSize - at; // runs to the end of the file
    if (size < headerSize) return false;
    // A box cut short (the process died while writing it) holds nothing anyone can decode.
    if (at + size > fileSize) return false;
    if (type === "mdat" && size > headerSize) return true;
    at += size;
  }
  return false;
}

/** hasMedia for an MP4 at `path`; false if it cannot be read (the listing shows what it can serve). */
export async function mp4HasMedia(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    const steps = walk(size);
    let step = steps.next(Buffer.alloc(0));
    while (!step.done) {
      const buf = Buffer.alloc(16);
      const { bytesRead } = await handle.read(buf, 0, 16, step.value);
      step = steps.next(buf.subarray(0, bytesRead));
    }
    return step.value;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/** The same, synchronously, for the moment a recording ends; throws if the file cannot be read. */
export function mp4HasMediaSync(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const steps = walk(fstatSync(fd).size);
    let step = steps.next(Buffer.alloc(0));
    while (!step.done) {
      const buf = Buffer.alloc(16);
      step = steps.next(buf.subarray(0, readSync(fd, buf, 0, 16, step.value)));
    }
    return step.value;
  } finally {
    closeSync(fd);
  }
}
