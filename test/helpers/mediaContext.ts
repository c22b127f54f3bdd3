import type { MediaContext } from "../../mixer/context.js";
import { FaultBoundary } from "../../mixer/faults.js";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { resolveVideoDecoder } from "../../mixer/video/participantDecoder.js";
import { silentLogger } from "../../src/log.js";

/** A media context for testing mixer parts on their own: a fault is thrown on, so the test run reports it. */
export function testMediaContext(): MediaContext {
  return {
    log: silentLogger,
    processes: new ProcessGroup(),
    faults: new FaultBoundary((err) => {
      setImmediate(() => {
        throw err;
      });
    }),
    ffmpegPath: resolveFfmpegPath(),
    // VIDEO_DECODER=inprocess runs the mixer's tests with the decoder in process, as FFMPEG_PATH picks the ffmpeg.
    videoDecoder: resolveVideoDecoder(),
  };
}
