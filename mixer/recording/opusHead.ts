/** RFC 7845's identification header ("OpusHead"): the Opus track's configuration in WebM and in MP4. */
export function opusHead(channels: number, preSkip: number): Buffer {
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "ascii");
  head[8] = 1;
  head[9] = channels;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  return head;
}
