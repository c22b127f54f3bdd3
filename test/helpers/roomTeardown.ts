import { expect } from "vitest";
import { isAlive } from "../../mixer/ffmpeg/processGroup.js";
import type { MixStats } from "../../src/rooms/capabilities.js";
import type { RunningServer } from "../../src/server.js";
import { eventually } from "./eventually.js";
import type { TestClient } from "./testClient.js";

/** The room's ffmpeg children (the mixer labels them `room:<name>:…`). */
function childrenOf(server: RunningServer, room: string) {
  return server.processes.all().filter((p) => p.label.startsWith(`room:${room}:`));
}

function decodedSomething(server: RunningServer, room: string): boolean {
  const stats = (server.rooms.get(room) as Partial<MixStats> | undefined)?.mediaStats;
  return (stats?.video.decodeLagMaxMs ?? 0) > 0;
}

/**
 * Waits until `room` has a decoder for each of `senders` (so there is something to tear down; decoding in
 * process, until it has decoded a picture, with no child for it), closes
 * every client in it, and expects the room gone and each of its ffmpeg children reaped: out of the
 * server's process group and no longer a process.
 */
export async function expectTeardownWhenAllLeave(
  server: RunningServer,
  room: string,
  senders: number,
  clients: readonly TestClient[],
): Promise<void> {
  if (server.config.videoDecoder === "inprocess") {
    // Decoded in the server's own process: a picture decoded, and not one child for it.
    await eventually(() => decodedSomething(server, room), 20_000, `${room} decodes its senders`);
    expect(childrenOf(server, room)).toEqual([]);
  } else {
    await eventually(() => childrenOf(server, room).length >= senders, 20_000, `a decoder for each of ${room}'s ${senders} senders`);
  }
  const pids = childrenOf(server, room).map((p) => p.pid);
  await Promise.all(clients.map((c) => c.close()));
  await eventually(() => server.rooms.get(room) === undefined, 10_000, `${room} closes`);
  await eventually(() => childrenOf(server, room).length === 0, 10_000, `no ffmpeg child of ${room} remains`);
  // Out of the group as it is told to exit; gone from the process table once it has (and Node has reaped it).
  await eventually(() => pids.filter(isAlive).length === 0, 10_000, `${room}'s ffmpeg children exit`).catch(() => undefined);
  expect(pids.filter(isAlive)).toEqual([]);
}
