import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, fakeRoomMedia } from "../../test/fakes/roomMedia.js";
import { startRedis, type RedisServer } from "../../test/helpers/redisServer.js";
import { defaultConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { RoomRegistry } from "../rooms/roomRegistry.js";
import { roomKey } from "./keys.js";
import { NodeLoadSampler } from "./nodeLoad.js";
import { RedisCluster } from "./redisCluster.js";
import { RedisLink } from "./redisLink.js";

/** A node without HTTP or media: its cluster object over a real Redis, and rooms with fake media. */
async function startNode(redis: RedisServer, id: string, maxRooms = 20) {
  const processes = new ProcessGroup();
  const rooms = new RoomRegistry(
    { ...defaultConfig, maxRooms },
    silentLogger,
    processes,
    new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-rc-"))),
    fakeRoomMedia(),
  );
  const load = new NodeLoadSampler({ rooms, processes, cpuAllowed: 2 });
  const cluster = await RedisCluster.start({
    config: { redisUrl: redis.url, nodeUrl: `http://${id}.test:8080`, nodeId: id },
    maxRooms,
    rooms,
    load,
    log: silentLogger,
  });
  return {
    id,
    rooms,
    cluster,
    /** As a session does after `here`: the room opens with one sender. */
    open(room: string) {
      const r = rooms.getOrCreate(room, "mcu")!;
      r.admit(`someone in ${room}`, "sender", new FakeChannel());
      return r;
    },
    async close() {
      await rooms.closeAll("test over");
      await cluster.close();
      load.close();
    },
  };
}

describe("RedisCluster over a real redis-server", () => {
  let redis: RedisServer;
  let raw: RedisLink;

  beforeAll(async () => {
    redis = await startRedis();
    raw = await RedisLink.create(redis.url, silentLogger);
    await raw.open();
  });

  afterAll(async () => {
    await raw?.close();
    await redis?.stop();
  });

  it("gives each room to exactly one node when two place it at once", async () => {
    const [a, b] = await Promise.all([startNode(redis, "race-a"), startNode(redis, "race-b")]);
    try {
      const rooms = Array.from({ length: 20 }, (_, i) => `race-${i}`);
      const answers = await Promise.all(rooms.map((room) => Promise.all([a.cluster.place(room), b.cluster.place(room)])));
      answers.forEach(([fromA, fromB], i) => {
        const ownerSeenByA = fromA.kind === "here" ? "race-a" : fromA.kind === "elsewhere" ? fromA.node.id : "none";
        const ownerSeenByB = fromB.kind === "here" ? "race-b" : fromB.kind === "elsewhere" ? fromB.node.id : "none";
        expect(ownerSeenByA, rooms[i]).toBe(ownerSeenByB);
        expect(ownerSeenByA, rooms[i]).not.toBe("none");
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("keeps a room's claim while its node holds it, gives it up when it closes, and names its node to others", async () => {
    const [a, b] = await Promise.all([startNode(redis, "keep-a"), startNode(redis, "keep-b")]);
    try {
      // a has a sender already, so a new room goes to b, whoever asks.
      a.open("busy");
      const placed = await a.cluster.place("kept");
      expect(placed).toEqual({ kind: "elsewhere", node: { id: "keep-b", url: "http://keep-b.test:8080" } });
      expect(await b.cluster.place("kept")).toEqual({ kind: "here" });
      const room = b.open("kept");
      // Past the claim's TTL: the node's heartbeats kept it.
      await new Promise((r) => setTimeout(r, 7000));
      expect(await raw.command(["GET", roomKey("kept")])).toBe("keep-b");
      expect(await a.cluster.locate("kept")).toEqual({ id: "keep-b", url: "http://keep-b.test:8080" });
      expect((await a.cluster.remoteRooms()).map((r) => [r.name, r.node.id])).toEqual([["kept", "keep-b"]]);
      await room.close("done");
      await new Promise((r) => setTimeout(r, 100));
      expect(await raw.command(["GET", roomKey("kept")])).toBeNull();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 20_000);

  it("places a room again at once when the node that claimed it is gone", async () => {
    const a = await startNode(redis, "heir");
    try {
      await raw.command(["SET", roomKey("orphan"), "node-that-died", "PX", "6000"]);
      expect(await a.cluster.place("orphan")).toEqual({ kind: "here" });
      expect(await raw.command(["GET", roomKey("orphan")])).toBe("heir");
    } finally {
      await a.close();
    }
  });

  it("takes no new rooms once draining, and the others stop choosing it at once", async () => {
    const [a, b] = await Promise.all([startNode(redis, "drain-a"), startNode(redis, "drain-b")]);
    try {
      // b carries more, so only draining keeps a from being chosen.
      b.open("load-on-b");
      a.cluster.drain();
      expect(a.cluster.health()).toMatchObject({ draining: true, acceptingRooms: false });
      expect(await a.cluster.place("late")).toMatchObject({ kind: "unavailable", reason: expect.stringContaining("shutting down") });
      await new Promise((r) => setTimeout(r, 100));
      expect(await b.cluster.place("late")).toEqual({ kind: "here" });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("knows the live nodes' origins: one started since the last heartbeat at the first miss, one stopped by the next heartbeat", async () => {
    const a = await startNode(redis, "origins-a");
    const b = await startNode(redis, "origins-b");
    try {
      // b read the directory as it started, a has not since b registered: a's miss reads it again.
      expect(b.cluster.nodeOrigins()).toEqual(expect.arrayContaining(["http://origins-a.test:8080", "http://origins-b.test:8080"]));
      expect(a.cluster.nodeOrigins()).not.toContain("http://origins-b.test:8080");
      expect(await a.cluster.isNodeOrigin("http://origins-b.test:8080")).toBe(true);
      expect(a.cluster.nodeOrigins()).toContain("http://origins-b.test:8080");
      expect(await a.cluster.isNodeOrigin("http://origins-c.test:8080")).toBe(false);
      await b.close();
      const deadline = Date.now() + 10_000;
      while (a.cluster.nodeOrigins().includes("http://origins-b.test:8080") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(a.cluster.nodeOrigins()).toEqual(["http://origins-a.test:8080"]);
      expect(await a.cluster.isNodeOrigin("http://origins-b.test:8080")).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("registers and removes its node record", async () => {
    const a = await startNode(redis, "record-a");
    const record = JSON.parse(String(await raw.command(["GET", "tessera:node:record-a"])));
    expect(record).toMatchObject({
      id: "record-a",
      url: "http://record-a.test:8080",
      draining: false,
      maxRooms: 20,
      load: { rooms: 0, senders: 0, cpuAllowed: 2 },
    });
    const ttl = Number(await raw.command(["PTTL", "tessera:node:record-a"]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6000);
    await a.close();
    expect(await raw.command(["GET", "tessera:node:record-a"])).toBeNull();
  });
});
