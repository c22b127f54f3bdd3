import { renameSync, rmSync } from "node:fs";
import { AV_LOG_QUIET } from "node-av/constants";
import { Dictionary, FormatContext, Log, Packet } from "node-av/lib";

/** Packets copied per turn of the event loop: each is some 12 µs (read and write, from the page cache), so a turn holds the loop about a millisecond. */
const PACKETS_PER_TURN = 100;

export interface IndexedMp4 {
  /** Packets copied (both tracks): the same number the fragmented file held. */
  readonly packets: number;
}

/**
 * Rewrites a finished fragmented MP4 (Mp4Writer's) as a classic one: every sample in one `moov` at the front
 * of the file (`faststart`), the index Safari, QuickTime and phones' players seek with, without reading the
 * fragments first. A stream copy in this process (node-av): nothing is decoded or re-encoded. It writes to
 * `tempPath` and renames it over `path` only once every packet is copied and FFmpeg has finished the file,
 * so a failure (or a crash part-way) leaves the fragmented file, which plays as it is.
 * Runs a bounded number of packets per event-loop turn, so a long recording never stalls the media clocks.
 */
export async function indexMp4(path: string, tempPath: string): Promise<IndexedMp4> {
  // FFmpeg's log would go to stderr among the server's JSON lines; failures come back as codes.
  Log.setLevel(AV_LOG_QUIET);
  const input = new FormatContext();
  const output = new FormatContext();
  const packet = new Packet();
  packet.alloc();
  let outputOpen = false;
  let inputOpen = false;
  try {
    check(await input.openInput(path), "open the fragmented file");
    inputOpen = true;
    check(await input.findStreamInfo(null), "read the fragmented file's tracks");
    check(output.allocOutputContext2(null, "mp4", tempPath), "set up the MP4 muxer");
    const streams = input.streams;
    for (const source of streams) {
      const copy = output.newStream(null);
      check(source.codecpar.copy(copy.codecpar), "copy a track's parameters");
      copy.codecpar.codecTag = 0;
      copy.timeBase = source.timeBase;
    }
    check(await output.openOutput(), "create the indexed file");
    outputOpen = true;
    check(await output.writeHeader(Dictionary.fromObject({ movflags: "+faststart" })), "write the indexed file's header");
    let packets = 0;
    for (;;) {
      let code = 0;
      for (let n = 0; n < PACKETS_PER_TURN; n++) {
        code = input.readFrameSync(packet);
        if (code < 0) break;
        const source = streams[packet.streamIndex];
        packet.rescaleTs(source.timeBase, output.streams[packet.streamIndex].timeBase);
        packet.pos = -1n;
        const { dts, streamIndex } = packet;
        const written = output.writeFrameSync(packet);
        packet.unref();
        // Which packet the muxer refused says why (its track and time): seen once under heavy load as -22.
        if (written < 0) check(written, `copy packet ${packets} (track ${streamIndex}, dts ${dts})`);
        packets++;
      }
      if (code < 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // faststart moves the moov to the front here: a rewrite of the file, on libuv's pool.
    check(await output.writeTrailer(), "finish the indexed file");
    await output.closeOutput();
    outputOpen = false;
    if (packets === 0) throw new Error("the fragmented file held no packets");
    renameSync(tempPath, path);
    return { packets };
  } catch (err) {
    rmSync(tempPath, { force: true });
    throw err;
  } finally {
    if (outputOpen) await output.closeOutput().catch(() => undefined);
    output.freeContext();
    if (inputOpen) await input.closeInput().catch(() => undefined);
    packet.free();
  }
}

function check(code: number, what: string): void {
  if (code < 0) throw new Error(`could not ${what} (FFmpeg error ${code})`);
}
