/**
 * The few EBML encodings a WebM writer needs (RFC 8794). Element ids are passed already in their
 * on-disk form (e.g. 0x1a45dfa3), as the Matroska specification lists them.
 */

/** An element size of "unknown": the element runs until its parent ends or a sibling-level id appears. */
export const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function encodeId(id: number): Buffer {
  const bytes = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(id, 0, bytes);
  return out;
}

/** A size as a variable-length integer, in the fewest bytes (or exactly `width` bytes, to patch in place later). */
export function encodeSize(size: number, width?: number): Buffer {
  let bytes = width ?? 1;
  if (width === undefined) while (size >= 2 ** (7 * bytes) - 1) bytes++;
  if (bytes > 8 || size >= 2 ** (7 * bytes) - 1) throw new RangeError(`EBML size ${size} does not fit in ${bytes} bytes`);
  const out = Buffer.alloc(bytes);
  let value = BigInt(size) | (1n << BigInt(7 * bytes));
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

export function element(id: number, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  return Buffer.concat([encodeId(id), encodeSize(body.length), body]);
}

export function uintElement(id: number, value: number, width?: number): Buffer {
  let bytes = width ?? 1;
  if (width === undefined) while (bytes < 8 && value >= 2 ** (8 * bytes)) bytes++;
  const body = Buffer.alloc(bytes);
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    body[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return element(id, body);
}

export function floatElement(id: number, value: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeDoubleBE(value);
  return element(id, body);
}

export function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, "utf8"));
}

/** A Void element of exactly `total` bytes: room reserved now for an element written over it later. */
export function voidElement(total: number): Buffer {
  if (total < 2) throw new RangeError("a Void element needs at least 2 bytes");
  const sizeWidth = total - 2 <= 126 ? 1 : 8;
  const body = total - 1 - sizeWidth;
  return Buffer.concat([encodeId(0xec), encodeSize(body, sizeWidth), Buffer.alloc(body)]);
}
