import { WebmWriter } from "../../mixer/recording/webmWriter.js";

/** A real recording file as the mixer writes one: a header, then clusters of VP8 and Opus blocks. */
export function writeRecording(path: string, seconds: number): void {
  const writer = new WebmWriter(path, { width: 320, height: 240, audioChannels: 1 });
  for (let t = 0; t < seconds * 1000; t += 20) {
    writer.addAudio(t, Buffer.alloc(40, t % 251));
    if (t % 40 === 0) writer.addVideo(t, Buffer.alloc(600, t % 253), t % 1000 === 0);
  }
  writer.finish();
}
