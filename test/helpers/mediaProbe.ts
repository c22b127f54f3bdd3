import { execFile } from "node:child_process";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";

export interface DecodeReport {
  /** Seconds of media ffmpeg decoded (the last `time=` of its progress line). */
  readonly seconds: number;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  readonly videoFrames: number;
  readonly stderr: string;
}

/**
 * Decodes a whole file with real ffmpeg (`-f null`; the bundled build unless `ffmpeg` names another, such
 * as Debian's /usr/bin/ffmpeg): the bundled static build has no ffprobe, so the duration comes from
 * ffmpeg's own progress line and the streams from its input description.
 */
export function decodeFile(path: string, ffmpeg = resolveFfmpegPath()): Promise<DecodeReport> {
  return new Promise((resolve, reject) => {
    execFile(
      ffmpeg,
      ["-hide_banner", "-nostdin", "-i", path, "-f", "null", "-"],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) return reject(new Error(`ffmpeg could not decode ${path}: ${stderr.slice(-2000)}`));
        const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)];
        const last = times.at(-1);
        const seconds = last ? Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]) : 0;
        const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1);
        resolve({
          seconds,
          hasVideo: /Stream #0:\d+.*: Video: (vp8|h264)/.test(stderr),
          hasAudio: /Stream #0:\d+.*: Audio: opus/.test(stderr),
          videoFrames: frames ? Number(frames[1]) : 0,
          stderr,
        });
      },
    );
  });
}

/** Presentation time and mean luma (0-255) of every video frame in a file (of `crop`, an ffmpeg crop=w:h:x:y, if given). */
export function videoLuma(path: string, crop?: string): Promise<{ t: number; luma: number }[]> {
  return new Promise((resolve, reject) => {
    execFile(
      resolveFfmpegPath(),
      [
        "-hide_banner",
        "-nostdin",
        "-i",
        path,
        "-map",
        "0:v",
        "-vf",
        `${crop ? `crop=${crop},` : ""}scale=32:18,format=gray,showinfo`,
        "-f",
        "null",
        "-",
      ],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) return reject(new Error(`ffmpeg could not decode ${path}: ${stderr.slice(-2000)}`));
        resolve([...stderr.matchAll(/pts_time:\s*([\d.]+).*?mean:\[(\d+)/g)].map((m) => ({ t: Number(m[1]), luma: Number(m[2]) })));
      },
    );
  });
}

/** A file's audio as mono 48 kHz samples, padded so sample 0 is at time 0. */
export function audioSamples(path: string): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    execFile(
      resolveFfmpegPath(),
      [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-i",
        path,
        "-map",
        "0:a",
        "-af",
        "aresample=async=1:first_pts=0",
        "-ac",
        "1",
        "-ar",
        "48000",
        "-f",
        "s16le",
        "pipe:1",
      ],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`ffmpeg could not decode the audio of ${path}: ${stderr.toString().slice(-2000)}`));
        resolve(new Int16Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.byteLength)));
      },
    );
  });
}
