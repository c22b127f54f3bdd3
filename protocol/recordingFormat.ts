/**
 * The containers a recording can be written in: `webm` (VP8 + Opus, the default) and `mp4` (H264 + Opus,
 * fragmented while it runs, indexed at a clean stop). The page, the control API and RECORDING_FORMAT name them.
 */
export const recordingFormats = ["webm", "mp4"] as const;
export type RecordingFormat = (typeof recordingFormats)[number];
