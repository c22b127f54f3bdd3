/**
 * The MP4 recording's muxer, chosen by measurement (docs/decisions.md, "MP4 recordings"): the same real
 * frames (H264 640x480 test pattern at 30 fps, Opus 20 ms) through FFmpeg's mov muxer in process (node-av,
 * what Mp4Writer uses) and through mediabunny (pure TypeScript), both writing fragmented MP4 to a file,
 * 1 s fragments. Reports CPU per second of media, the event-loop time a packet takes (the first, which
 * opens the file, then p99 and the slowest) and bytes.
 * mediabunny is not a dependency: `npm i --no-save mediabunny` first to compare (otherwise node-av only).
 *
 *   node --import tsx bench/mp4Muxer.ts [seconds=120]
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveFfmpegPath } from "../mixer/ffmpeg/ffmpegPath.js";
import { Mp4Writer } from "../mixer/recording/mp4Writer.js";
import { h264EncoderArgs, tonePackets } from "../test/helpers/fixtures.js";
import { accessUnits } from "../test/helpers/h264AccessUnits.js";

const seconds = Number(process.argv[2] ?? 120);
const dir = mkdtempSync(join(tmpdir(), "tessera-mp4bench-"));
const annexB = execFileSync(
  resolveFfmpegPath(),
  [
    "-hide_banner",
    "-loglevel",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=s=640x480:r=30",
    "-t",
    "10",
    ...h264EncoderArgs("1500k", 60),
    "-f",
    "h264",
    "pipe:1",
  ],
  { maxBuffer: 64 << 20 },
);
const clip = accessUnits(annexB);
const tone = tonePackets(440);

interface Sink {
  video(t: number, data: Buffer, key: boolean): void | Promise<void>;
  audio(t: number, data: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

async function run(name: string, sink: Sink, path: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const times: number[] = [];
  let a = 0;
  for (let v = 0; v < seconds * 30; v++) {
    const t = (v * 1000) / 30;
    while (a * 20 <= t + 40) {
      const s = performance.now();
      await sink.audio(a * 20, tone[a % tone.length]);
      times.push(performance.now() - s);
      a++;
    }
    const f = clip[v % clip.length];
    const s = performance.now();
    await sink.video(t, f.data, f.isKeyframe);
    times.push(performance.now() - s);
  }
  await sink.end();
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const first = times[0];
  const rest = times.slice(1).sort((x, y) => x - y);
  const p99 = rest[Math.floor(rest.length * 0.99)];
  const worst = rest.at(-1)!;
  console.log(
    `${name}: ${(cpuMs / seconds).toFixed(2)} ms CPU per media second (${((cpuMs / seconds / 1000) * 100).toFixed(2)} % of a core), first packet ${first.toFixed(1)} ms, then p99 ${p99.toFixed(3)} ms and slowest ${worst.toFixed(2)} ms per packet, ${statSync(path).size} bytes for ${seconds} s`,
  );
}

const nodeAvPath = join(dir, "node-av.mp4");
const w = new Mp4Writer(nodeAvPath, { width: 640, height: 480, audioChannels: 1 });
await run(
  "node-av (FFmpeg mov muxer, in process)",
  { video: (t, d, k) => w.addVideo(t, d, k), audio: (t, d) => w.addAudio(t, d), end: () => w.finish() },
  nodeAvPath,
);

const mb = await import("mediabunny" as string).catch(() => undefined);
if (!mb) console.log("mediabunny: not installed (npm i --no-save mediabunny to compare)");
else {
  const path = join(dir, "mediabunny.mp4");
  const fd = openSync(path, "w");
  const writable = new WritableStream<{ data: Uint8Array; position: number }>({
    write: (c) => void writeSync(fd, c.data, 0, c.data.length, c.position),
  });
  const output = new mb.Output({
    format: new mb.Mp4OutputFormat({ fastStart: "fragmented", minimumFragmentDuration: 1 }),
    target: new mb.StreamTarget(writable),
  });
  const vs = new mb.EncodedVideoPacketSource("avc");
  const as = new mb.EncodedAudioPacketSource("opus");
  output.addVideoTrack(vs, { frameRate: 30 });
  output.addAudioTrack(as);
  await output.start();
  let first = true;
  await run(
    "mediabunny (TypeScript)",
    {
      video: async (t, d, k) => {
        await vs.add(
          new mb.EncodedPacket(d, k ? "key" : "delta", t / 1000, 1 / 30),
          first ? { decoderConfig: { codec: "avc1.42c01e", codedWidth: 640, codedHeight: 480 } } : undefined,
        );
        first = false;
      },
      audio: (t, d) =>
        as.add(
          new mb.EncodedPacket(d, "key", t / 1000, 0.02),
          t === 0 ? { decoderConfig: { codec: "opus", numberOfChannels: 1, sampleRate: 48000 } } : undefined,
        ),
      end: async () => {
        await output.finalize();
        closeSync(fd);
      },
    },
    path,
  );
}
rmSync(dir, { recursive: true, force: true });
