import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { VideoDecoderKind } from "../../mixer/video/participantDecoder.js";
import { eventually } from "../helpers/eventually.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
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
