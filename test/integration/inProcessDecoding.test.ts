import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { VideoDecoderKind } from "../../mixer/video/participantDecoder.js";
import { eventually } from "../helpers/eventually.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
import { startServer } from "../../src/server.js";
import type { MixStats } from "../../src/rooms/capabilities.js";
import { solidColourClip, solidColourH264Clip } from "../helpers/fixtures.js";
import { startServerProcess, type ServerProcess } from "../helpers/serverProcess.js";
import { TestClient } from "../helpers/testClient.js";

/** Every live process under `root` (children, theirs, …) named `comm`, from /proc. */
function descendantsNamed(root: number, comm: string): number[] {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      parent.set(Number(entry), Number(ppid));
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")));
    } catch {
      /* gone while listing */
    }
  }
  const under = (pid: number): boolean => parent.get(pid) === root || (parent.has(pid) && pid > 1 && under(parent.get(pid)!));
  return [...names].filter(([pid, name]) => name === comm && under(pid)).map(([pid]) => pid);
}

const RED: Rgb = { r: 255, g: 0, b: 0 };
const GREEN: Rgb = { r: 0, g: 128, b: 0 };
const BLUE: Rgb = { r: 0, g: 0, b: 255 };

/**
 * The server as its own process, three senders and a viewer: the viewer sees all three decoded, while the
 * server's process tree is watched for ffmpeg. Decoding in process, the room runs with none at all (the mix
 * encoder is in process too); decoding in children, one per sender.
 */
describe.each<[VideoDecoderKind, number, number]>([
  ["inprocess", 0, 0],
  // One per sender, and while a re-laid tile's new decoder starts its old one still draws: a few more.
  ["ffmpeg", 3, 6],
])("an MCU room with VIDEO_DECODER=%s", (videoDecoder, fewest, most) => {
  let server: ServerProcess | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.kill();
  });

  it(`decodes three senders with ${fewest} to ${most} ffmpeg children`, async () => {
    server = await startServerProcess({ env: { VIDEO_DECODER: videoDecoder } });
    const pid = server.child.pid!;
    const client = (name: string, colour?: string) =>
      new TestClient({
        url: server!.url,
        room: "decoding",
        name,
        colour,
        toneHz: colour ? 440 : undefined,
        role: colour ? "sender" : "viewer",
        decode: !colour,
      });
    const senders = [client("Ada", "red"), client("Ben", "green"), client("Cy", "blue")];
    const viewer = client("Viewer");
    clients.push(...senders, viewer);
    let seen = 0;
    const watch = setInterval(() => (seen = Math.max(seen, descendantsNamed(pid, "ffmpeg").length)), 50);
    try {
      for (const c of [...senders, viewer]) await c.connect();
      // Join order sets tile order: 2x2 with the third tile centred on the bottom row.
      await eventually(
        () =>
          closeTo(viewer.decoder.colourAt(320, 180), RED) &&
          closeTo(viewer.decoder.colourAt(960, 180), GREEN) &&
          closeTo(viewer.decoder.colourAt(640, 540), BLUE),
        20_000,
        "red, green and blue in their tiles",
      );
      seen = Math.max(seen, descendantsNamed(pid, "ffmpeg").length);
    } finally {
      clearInterval(watch);
    }
    expect(seen, "most ffmpeg processes under the server at once while the room decoded").toBeGreaterThanOrEqual(fewest);
    expect(seen).toBeLessThanOrEqual(most);
  });
});

/**
 * A sender whose every other keyframe is noise (an attacker, or a broken encoder), beside an honest one: the
 * server drops each bad frame, counts it in /metrics, shows the sender again from their next real keyframe,
 * and the other participant's tile never notices.
 */
describe.each<"vp8" | "h264">(["vp8", "h264"])("a %s sender of undecodable frames, decoded in process", (codec) => {
  it("is dropped and counted, and shown again from the next keyframe", async () => {
    const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], videoDecoder: "inprocess" });
    const clients: TestClient[] = [];
    try {
      const red = codec === "vp8" ? solidColourClip("red") : solidColourH264Clip("red");
      const noise = Buffer.alloc(1500);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) & 0xff;
      // A VP8 keyframe tag with no start code; an H264 IDR slice of noise.
      const bad =
        codec === "vp8" ? Buffer.concat([Buffer.from([noise[0] & 0xfe]), noise]) : Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65]), noise]);
      // The clip loops: noise marked as a keyframe, then the real clip, which starts with one.
      const clip = { codec, frames: [{ data: bad, isKeyframe: true }, ...red.frames] };
      const noisy = new TestClient({ url: server.url, room: "noise", name: "Noisy", clip, toneHz: 440 });
      const honest = new TestClient({ url: server.url, room: "noise", name: "Honest", colour: "blue", toneHz: 660 });
      const viewer = new TestClient({ url: server.url, room: "noise", name: "Viewer", role: "viewer", decode: true });
      clients.push(noisy, honest, viewer);
      for (const c of clients) await c.connect();
      const stats = () => (server.rooms.get("noise") as unknown as MixStats).mediaStats.video;
      await eventually(() => stats().undecodableFrames >= 2, 20_000, "two bad keyframes dropped and counted");
      // Side by side in a 2x1 grid: the noisy sender's real frames still show, and so does the other one.
      await eventually(
        () => closeTo(viewer.decoder.colourAt(320, 360), RED) && closeTo(viewer.decoder.colourAt(960, 360), BLUE),
        20_000,
        "both senders in their tiles",
      );
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const counted = Number(/^tessera_video_frames_undecodable_total (\d+)/m.exec(metrics)?.[1]);
      expect(counted).toBeGreaterThanOrEqual(2);
      expect(stats().decoderRestarts).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});
