import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Whether a recording file holds any media: a complete SimpleBlock or BlockGroup inside a Cluster.
 * The writer puts the header (EBML header, Segment, SeekHead space, Info, Tracks: about 270 bytes) on
 * disk before any frame, so a recording that failed or was killed before its first cluster leaves a
 * file that is a header and nothing else: valid WebM that no player can play.
 */

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
// Ids that end an unknown-size Cluster: the next top-level element of the Segment.
const SEGMENT_CHILDREN = new Set([CLUSTER, 0x1c53bb6b, 0x114d9b74, 0x1549a966, 0x1654ae6b, 0x1254c367, 0x1941a469, 0x1043a770]);

/**
 * How much of a file is read to decide: a listing reads this much of every recording. In our files
 * every element before the first block's data (header, Cluster, Timecode, block header) ends within the
 * first 300 bytes or so, and a stub is never longer than its header.
 */
export const MEDIA_PROBE_BYTES = 4096;

interface ElementHeader {
  readonly id: number;
  /** Where the element's data starts. */
  readonly dataAt: number;
  /** Its data's length; undefined for "unknown" (it runs to its parent's end). */
  readonly size: number | undefined;
}

/**
 * Decides from the first bytes of a file (`head`, at most MEDIA_PROBE_BYTES) and its full size. If the
 * answer lies past `head` (elements before the first block longer than the probe: not a file this
 * server writes, and not a stub, which is never longer than its header), the file is taken to have
 * media: when in doubt, list it.
 */
export function hasMedia(head: Buffer, fileSize: number): boolean {
  // Past the bytes read: undecided if the file goes on, the end of the file if not.
  const pastHead = () => head.length < fileSize;
  const ebml = readHeader(head, 0);
  if (!ebml) return pastHead();
  if (ebml.id !== EBML_HEADER || ebml.size === undefined) return false;
  const segment = readHeader(head, ebml.dataAt + ebml.size);
  if (!segment) return pastHead();
  if (segment.id !== SEGMENT) return false;
  const segmentEnd = segment.size === undefined ? fileSize : Math.min(fileSize, segment.dataAt + segment.size);
  let at = segment.dataAt;
  while (at < segmentEnd) {
    const child = readHeader(head, at);
    if (!child) return pastHead();
    if (child.id === CLUSTER) {
      const found = clusterBlock(head, child, segmentEnd, fileSize);
      if (found === "block") return true;
      if (found === "past-head") return pastHead();
    }
    if (child.size === undefined) return false;
    at = child.dataAt + child.size;
  }
  return false;
}

/** Whether a cluster's data starts with or contains a whole block. */
function clusterBlock(head: Buffer, cluster: ElementHeader, segmentEnd: number, fileSize: number): "block" | "none" | "past-head" {
  const end = cluster.size === undefined ? segmentEnd : Math.min(segmentEnd, cluster.dataAt + cluster.size);
  let at = cluster.dataAt;
  while (at < end) {
    const child = readHeader(head, at);
    if (!child) return "past-head";
    if (cluster.size === undefined && SEGMENT_CHILDREN.has(child.id)) return "none";
    // A block cut short (the process died while writing it) is not a frame anyone can decode.
    if (child.id === SIMPLE_BLOCK || child.id === BLOCK_GROUP)
      return child.size !== undefined && child.size > 0 && child.dataAt + child.size <= fileSize ? "block" : "none";
    if (child.size === undefined) return "none";
    at = child.dataAt + child.size;
  }
  return "none";
}

/** An element's id and size at `at`, or undefined if they are not (wholly) in `buf` or are not valid EBML. */
function readHeader(buf: Buffer, at: number): ElementHeader | undefined {
  const id = readVint(buf, at, 4, true);
  if (!id) return undefined;
  const size = readVint(buf, at + id.length, 8, false);
  if (!size) return undefined;
  return { id: id.value, dataAt: at + id.length + size.length, size: size.unknown ? undefined : size.value };
}

function readVint(
  buf: Buffer,
  at: number,
  maxLength: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | undefined {
  if (at >= buf.length) return undefined;
  const first = buf[at];
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (length > maxLength || at + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + buf[at + i];
    if (buf[at + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

/** hasMedia for the file at `path`; false if it cannot be read (the listing shows what it can serve). */
export async function fileHasMedia(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, MEDIA_PROBE_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return hasMedia(head.subarray(0, bytesRead), size);
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * The same, synchronously, for the moment a recording ends (synchronous all the way down). Throws if
 * the file cannot be read: the caller deletes what has no media, so "unreadable" must not mean "empty".
 */
export function fileHasMediaSync(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const { size } = fstatSync(fd);
    const head = Buffer.alloc(Math.min(size, MEDIA_PROBE_BYTES));
    const bytesRead = readSync(fd, head, 0, head.length, 0);
    return hasMedia(head.subarray(0, bytesRead), size);
  } finally {
    closeSync(fd);
  }
}
