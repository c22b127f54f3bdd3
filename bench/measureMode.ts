import WebSocket from "ws";
import { gridLayout } from "../mixer/layout/gridLayout.js";
import { defaultConfig } from "../src/config.js";
import type { ServerMessage } from "../protocol/messages.js";
import { TestClient } from "../test/helpers/testClient.js";
import { CLIP_FPS, CLIP_HEIGHT, CLIP_WIDTH, barcodeClip, type BarcodeClip } from "./barcodeClip.js";
import { LatencyProbe, percentile, type Region } from "./latencyProbe.js";
import { offlineFloor } from "./offlineFloor.js";
import type { BenchOptions, Mode } from "./options.js";
import { coresBetween, cpuSplit, sampleTree } from "./procStats.js";
import { startServerProcess } from "./serverProcess.js";

export interface Row {
  mode: Mode;
  senders: number;
  rooms: number;
  serverCpuCores: number | null;
  /** Per room: the server's main thread (the one JavaScript thread every room's media shares without MEDIA_WORKERS). */
  mainThreadCoresPerRoom: number | null;
  /** Per room: the media workers (MEDIA_WORKERS), every thread of theirs; their ffmpeg children are not in it. */
  workerCoresPerRoom: number | null;
  /** This bench process and its children (the werift clients, their decoders), the server's tree left out. */
  loadGeneratorCpuCores: number;
  peakRssMB: number | null;
  downStreams: number;
  downKbps: number;
  upKbps: number;
  /** The slowest room's mixed-video rate as received (MCU only). */
  outputFps: number | null;
  droppedPercent: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencySamples: number;
  /** The same job in one ffmpeg, per room, and the MCU's CPU as a multiple of it. */
  floorCores: number | null;
  floorRatio: number | null;
  /** MCU senders sending a tile-sized clip at the end of the window (they follow `tile` messages). */
  tileSizedSenders: number;
  /** MCU clients (senders and the viewer) whose mix arrived as H264 (labelled so and decoded as such). */
  h264Receivers: number;
  /** MCU: the boxes the extra viewers reported (--viewer-boxes), and the sizes of the last keyframe each got. */
  viewerBoxes: string[];
  renditionsReceived: string[];
}

/**
 * Each sender's clips at every tile size a grid of up to `senders` tiles gives it, encoded before anyone
 * joins (each encode is a synchronous ffmpeg run that would stall the load generator mid-measurement).
 */
function tileClips(
  senders: number,
  codec: BenchOptions["codec"],
): (sender: number) => (size: { width: number; height: number }) => BarcodeClip | undefined {
  const { output } = defaultConfig;
  const sizes = new Map<string, { width: number; height: number }>();
  for (let n = 1; n <= senders; n++)
    for (const r of gridLayout(n, output)) sizes.set(`${r.width}x${r.height}`, { width: r.width, height: r.height });
  for (let i = 0; i < senders; i++) for (const size of sizes.values()) barcodeClip(i, codec, size);
  // A tile a browser sends full VGA for is the VGA clip; a size not foreseen keeps the clip being sent.
  return (sender) => (size) => (sizes.has(`${size.width}x${size.height}`) ? barcodeClip(sender, codec, size) : undefined);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const toneHz = (i: number) => 300 + 100 * i;
const round = (n: number | null, digits: number) => (n === null ? null : Number(n.toFixed(digits)));

/** The codecs sender i lists in its offer (see --h264-receivers); undefined: its own codec first. */
function mixCodecsOf(i: number, h264Receivers: number | undefined): ("vp8" | "h264")[] | undefined {
  if (h264Receivers === undefined) return undefined;
  return i < h264Receivers ? ["h264", "vp8"] : ["vp8", "h264"];
}
// Pictures the latency receiver decodes to: big enough that each code cell covers many pixels.
const MIX_PROBE = { width: 640, height: 360 };
const STREAM_PROBE = { width: 320, height: 240 };

/**
 * Sender i's sound: its tone, and with --talkers, its RFC 6464 level (the tone is about -15 dBov) or digital
 * silence marked silent (127).
 */
function senderSound(i: number, talkers: number | undefined): { toneHz: number; toneAmplitude?: number; audioLevel?: number } {
  if (talkers === undefined) return { toneHz: toneHz(i) };
  return i < talkers ? { toneHz: toneHz(i), audioLevel: 15 } : { toneHz: toneHz(i), toneAmplitude: 0, audioLevel: 127 };
}

/** A fresh server per measurement, or the one at --url (whose CPU this process cannot read). */
async function server(url: string | undefined): Promise<{ url: string; pid?: number; stop(): Promise<void> }> {
  if (url) return { url, stop: async () => undefined };
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under exactly this load.
  return startServerProcess((process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean));
}

/** Mesh: members join for the roster and signaling; their media would flow browser to browser. */
async function meshMember(url: string, room: string, name: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  ws.send(JSON.stringify({ type: "join", room, name, mode: "mesh" }));
  return ws;
}

function clipKbps(codec: BenchOptions["codec"]): number {
  const clip = barcodeClip(0, codec);
  return (clip.frames.reduce((n, f) => n + f.data.length, 0) * 8) / (clip.frames.length / CLIP_FPS) / 1000 + 64; // + Opus
}

/**
 * One measurement: `rooms` rooms of `senders` werift senders in `mode`, a warm-up, then a window in which
 * the server's process tree is sampled from /proc and one receiver per measurement decodes what it gets
 * to read the senders' frame codes (latency). MCU rooms also get a receive-only viewer that counts frames.
 */
export async function measure(
  mode: Mode,
  senders: number,
  rooms: number,
  options: BenchOptions,
  progress: (text: string) => void,
): Promise<Row> {
  const target = await server(options.url);
  const clients: TestClient[] = [];
  const viewers: TestClient[] = [];
  /** --viewer-boxes: receivers limited to a box, each sent a smaller or upright rendition. */
  const limited: TestClient[] = [];
  const sockets: WebSocket[] = [];
  const firstRoom: TestClient[] = [];
  let closed = false;
  const closeClients = async () => {
    if (closed) return;
    closed = true;
    await Promise.all([...clients, ...viewers, ...limited].map((c) => c.close()));
    sockets.forEach((s) => s.close());
  };
  const label = `${mode} N=${senders}${rooms > 1 ? ` x${rooms} rooms` : ""}`;
  try {
    if (mode === "mcu" && !options.fullSizeSenders) progress(`${label}: encoding tile-sized clips`);
    const clipsFor = mode === "mcu" && !options.fullSizeSenders ? tileClips(senders, options.codec) : undefined;
    for (let r = 0; r < rooms; r++) {
      const room = `bench-${mode}-${senders}-${r}-${Date.now().toString(36)}`;
      for (let i = 0; i < senders; i++) {
        progress(`${label}: joining room ${r + 1}/${rooms}, sender ${i + 1}/${senders}`);
        if (mode === "mesh") {
          sockets.push(await meshMember(target.url, room, `S${i + 1}`));
          continue;
        }
        // The first SFU sender decodes what it receives: the latency receiver for that mode.
        const decodes = mode === "sfu" && r === 0 && i === 0;
        const c = new TestClient({
          url: target.url,
          room,
          name: `S${i + 1}`,
          clip: barcodeClip(i, options.codec),
          clipForTile: clipsFor?.(i),
          ...senderSound(i, options.talkers),
          videoCodecs: mode === "mcu" ? mixCodecsOf(i, options.h264Receivers) : undefined,
          decode: decodes,
          probeSize: STREAM_PROBE,
          mode,
        });
        await c.connect();
        clients.push(c);
        if (r === 0) firstRoom.push(c);
      }
      if (mode === "mcu") {
        const v = new TestClient({
          url: target.url,
          room,
          name: "Counter",
          role: "viewer",
          decode: r === 0,
          probeSize: MIX_PROBE,
          mode,
          videoCodecs: options.h264Receivers === undefined ? undefined : ["vp8"],
        });
        await v.connect();
        viewers.push(v);
        for (const box of options.viewerBoxes) {
          const l = new TestClient({ url: target.url, room, name: `Box ${box.width}x${box.height}`, role: "viewer", decode: false, mode });
          await l.connect();
          l.send({
            type: "display",
            width: box.width,
            height: box.height,
            pixelRatio: 1,
            orientation: box.height > box.width ? "portrait" : "landscape",
          });
          limited.push(l);
        }
      }
    }
    progress(`${label}: warming up ${options.warmupSeconds} s`);
    await sleep(options.warmupSeconds * 1000);

    const probe = new LatencyProbe((sender, frame) => firstRoom[sender]?.frameSentAt[frame]);
    if (mode === "mcu") {
      const viewer = viewers[0];
      const joined = viewer.messages.find((m): m is Extract<ServerMessage, { type: "joined" }> => m.type === "joined");
      const canvas = joined ? { width: joined.output.width, height: joined.output.height } : { width: 1280, height: 720 };
      const regions: Region[] = gridLayout(senders, canvas).map((rect) => ({ rect, canvas }));
      viewer.decoder.onFrame = (rgb, at) => probe.read(rgb, MIX_PROBE, regions, at);
    } else if (mode === "sfu") {
      const whole: Region[] = [
        { rect: { x: 0, y: 0, width: CLIP_WIDTH, height: CLIP_HEIGHT }, canvas: { width: CLIP_WIDTH, height: CLIP_HEIGHT } },
      ];
      for (const remote of firstRoom[0].remotes.values()) remote.decoder.onFrame = (rgb, at) => probe.read(rgb, STREAM_PROBE, whole, at);
    }

    const pid = target.pid;
    const start = pid ? sampleTree(pid) : undefined;
    const ownStart = sampleTree(process.pid);
    const bytes0 = clients.map((c) => [c.bytesReceived, c.bytesSent]);
    const frames0 = viewers.map((v) => v.frameArrivals.length);
    const t0 = performance.now();
    let peakRss = 0;
    while (performance.now() - t0 < options.windowSeconds * 1000) {
      if (pid) peakRss = Math.max(peakRss, sampleTree(pid).rssBytes);
      progress(
        `${label}: measuring ${((performance.now() - t0) / 1000).toFixed(0)}/${options.windowSeconds} s, ${probe.samples.length} latency samples`,
      );
      await sleep(500);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const tileSized = clients.filter(
      (c) => c.tileSwitches > 0 && c.currentClip !== barcodeClip(clients.indexOf(c) % senders, options.codec),
    ).length;
    const end = pid ? sampleTree(pid) : undefined;
    const ownEnd = sampleTree(process.pid);
    const perClient = (k: 0 | 1) =>
      clients.length
        ? ((clients.reduce((sum, c, i) => sum + ((k === 0 ? c.bytesReceived : c.bytesSent) - bytes0[i][k]), 0) / clients.length / elapsed) *
            8) /
          1000
        : 0;
    const fps = viewers.length ? Math.min(...viewers.map((v, i) => (v.frameArrivals.length - frames0[i]) / elapsed)) : null;
    const cpu = start && end ? coresBetween(start, end, elapsed) : null;
    const split = start && end ? cpuSplit(start, end, elapsed) : undefined;
    // The server is this process's child (unless --url): its tree is inside ours, so take it out.
    const loadGeneratorCpu = coresBetween(ownStart, ownEnd, elapsed) - (cpu ?? 0);
    const h264Receivers = [...clients, ...viewers].filter((c) => c.mixCodecsReceived.has("h264")).length;

    let floorCores: number | null = null;
    if (mode === "mcu" && options.floor) {
      // After the clients stop, so the floor has the machine to itself as the server had (nearly).
      await closeClients();
      await target.stop();
      progress(`${label}: offline floor`);
      const clips = Array.from({ length: senders }, (_, i) => barcodeClip(i, options.codec).path);
      const { output, keyframeIntervalMs } = defaultConfig; // what the bench's own server runs with
      const floor = await offlineFloor(
        clips,
        clips.map((_, i) => toneHz(i)),
        {
          canvas: { width: output.width, height: output.height },
          fps: output.fps,
          videoBitrate: output.videoBitrate,
          keyframeInterval: Math.max(1, Math.round((keyframeIntervalMs * output.fps) / 1000)),
          audioBitrate: output.audioBitrate,
          seconds: Math.min(10, options.windowSeconds),
        },
      );
      floorCores = floor.cores;
    }
    const kbps = clipKbps(options.codec);
    return {
      mode,
      senders,
      rooms,
      serverCpuCores: round(cpu, 3),
      mainThreadCoresPerRoom: round(split ? split.mainThread / rooms : null, 3),
      workerCoresPerRoom: round(split ? split.workers / rooms : null, 3),
      loadGeneratorCpuCores: round(loadGeneratorCpu, 3)!,
      peakRssMB: pid ? Math.round(peakRss / 1e6) : null,
      downStreams: mode === "mcu" ? 1 : senders - 1,
      downKbps: Math.round(mode === "mesh" ? kbps * (senders - 1) : perClient(0)),
      upKbps: Math.round(mode === "mesh" ? kbps * (senders - 1) : perClient(1)),
      outputFps: round(fps, 2),
      droppedPercent: fps === null ? null : round(Math.max(0, (1 - fps / 30) * 100), 1),
      latencyP50Ms: round(percentile(probe.samples, 50), 0),
      latencyP95Ms: round(percentile(probe.samples, 95), 0),
      latencySamples: probe.samples.length,
      floorCores: round(floorCores, 3),
      floorRatio: cpu !== null && floorCores ? round(cpu / (floorCores * rooms), 2) : null,
      tileSizedSenders: tileSized,
      h264Receivers: mode === "mcu" ? h264Receivers : 0,
      viewerBoxes: options.viewerBoxes.map((b) => `${b.width}x${b.height}`),
      renditionsReceived: limited.map((l) => {
        const k = l.mixKeyframeSizes.at(-1);
        return k ? `${k.width}x${k.height}` : "none";
      }),
    };
  } finally {
    await closeClients();
    await target.stop();
  }
}
