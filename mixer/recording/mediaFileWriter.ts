/** What a recording's container writer does (WebM: webmWriter.ts, MP4: mp4Writer.ts), on the recording's clock. */
export interface MediaFileWriter {
  /** Bytes in the file so far. */
  readonly bytes: number;
  /** Milliseconds of media written or held. */
  readonly durationMs: number;
  addVideo(timeMs: number, data: Buffer, keyframe: boolean): void;
  addAudio(timeMs: number, data: Buffer): void;
  /** Writes what is held and the finishing touches (duration, index), and closes the file. */
  finish(): void;
  /** Closes the file as it stands (as a crash would leave it), after a write failed. */
  abandon(): void;
}
