import type { DestinationStream } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import type { McuRoom } from "../../src/rooms/mcuRoom.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";

/** The room's media internals, reached only to plant a bug in them. */
interface MixerInternals {
  mixer: {
    pushVideoRtp: (...args: unknown[]) => void;
    audio: { mixTick: (...args: unknown[]) => void };
    /** One rendition per size in use, each with an output per codec; the main size is the configured one. */
    video: { renditions: Map<string, { main: boolean; outputs: Map<string, { send: (...args: unknown[]) => void }> }> };
  };
}

const plantedBug = () => {
  throw new Error("planted bug");
};

// Each entry point into a room's media code: a timer, a child process's output, a packet from the network.
const entryPoints: { where: string; plant: (room: MixerInternals) => void }[] = [
  { where: "audio mix tick", plant: (room) => (room.mixer.audio.mixTick = plantedBug) },
  {
    where: "mix encoder output",
    plant: (room) => ([...room.mixer.video.renditions.values()].find((r) => r.main)!.outputs.get("vp8")!.send = plantedBug),
  },
  { where: "participant video in", plant: (room) => (room.mixer.pushVideoRtp = plantedBug) },
];

describe("an exception in one room's media code", () => {
  let server: RunningServer;
  const lines: string[] = [];
  const clients: TestClient[] = [];
  let steady: TestClient;

  beforeAll(async () => {
    const destination: DestinationStream = { write: (line: string) => void lines.push(line) };
    server = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] },
      createLogger({ level: "error", destination }),
    );
    steady = new TestClient({ url: server.url, room: "steady", name: "Steady", colour: "green", toneHz: 440 });
    clients.push(steady);
    await steady.connect();
    await eventually(() => steady.decoder.framesDecoded > 5, 10_000, "the steady room streams");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    expect(server.processes.size).toBe(0);
  });

  it.each(entryPoints)(
    "in the $where closes that room with room-failed and a log line naming it; another room keeps streaming",
    async ({ where, plant }) => {
      const roomName = `fragile-${where.replaceAll(" ", "-")}`;
      const victim = new TestClient({ url: server.url, room: roomName, name: "Victim", colour: "red", toneHz: 660 });
      clients.push(victim);
      await victim.connect();
      await eventually(() => victim.decoder.framesDecoded > 5, 10_000, "the fragile room streams");

      plant(server.rooms.get(roomName) as unknown as McuRoom & MixerInternals);
      await victim.waitFor((m) => m.type === "error" && m.code === "room-failed", 5000);
      await victim.waitFor((m) => m.type === "bye", 5000);
      await eventually(() => server.rooms.get(roomName) === undefined, 10_000, "the failed room is gone");
      const logged = lines
        .map((l) => JSON.parse(l) as { msg: string; room?: string; where?: string; error?: string })
        .find((l) => l.room === roomName);
      expect(logged).toMatchObject({ msg: "room failed: closing it", where, error: expect.stringContaining("planted bug") });

      // The other room never noticed: its picture keeps coming and nobody told it anything. (A stopped room
      // delivers no frame at all; a machine busy with other work may deliver fewer than 30 a second.)
      const before = steady.decoder.framesDecoded;
      await new Promise((r) => setTimeout(r, 2000));
      expect(steady.decoder.framesDecoded - before).toBeGreaterThanOrEqual(10);
      expect(steady.messages.some((m) => m.type === "error")).toBe(false);
      // Only the steady room's children are left: the failed room's encoder and decoder are gone.
      const steadyRoom = server.rooms.get("steady") as McuRoom;
      await eventually(
        () => server.processes.size === steadyRoom.mediaStats.ffmpegPids.length,
        10_000,
        "the failed room's children are reaped",
      );
    },
  );
});
