import type { FaultBoundary } from "./faults.js";
import type { ProcessGroup } from "./ffmpeg/processGroup.js";
import type { MediaLogger } from "./log.js";
import type { VideoDecoderKind } from "./video/participantDecoder.js";

/**
 * What a room hands down to every media object it creates (RoomMixer, then VideoMixer, VideoInput, the
 * encoder and decoders, each FfmpegProcess): a logger that carries the room's fields, the room's process
 * group, the room's fault boundary, the ffmpeg to run and where to decode. Nothing in the media plane is global.
 */
export interface MediaContext {
  readonly log: MediaLogger;
  readonly processes: ProcessGroup;
  readonly faults: FaultBoundary;
  readonly ffmpegPath: string;
  /** Where participants' video is decoded (VIDEO_DECODER); absent: in ffmpeg children. */
  readonly videoDecoder?: VideoDecoderKind;
}

/** The same context, logging with extra fields (a participant's id, say). */
export function withLogFields(context: MediaContext, fields: Record<string, unknown>): MediaContext {
  return { ...context, log: context.log.child(fields) };
}
