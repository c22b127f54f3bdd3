import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { isAlive } from "../../mixer/ffmpeg/processGroup.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { RemoteRoom } from "../../src/workers/remoteRoom.js";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import { eventually } from "../helpers/eventually.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
import { decodeFile } from "../helpers/mediaProbe.js";
import { maxGap } from "../helpers/continuity.js";
import { ReconnectingClient } from "../helpers/reconnectingClient.js";
import { TestClient } from "../helpers/testClient.js";
import { startServerProcess } from "../helpers/serverProcess.js";

const TOKEN = "media-workers-test-token-0123456789";
const RED: Rgb = { r: 255, g: 0, b: 0 };
const GREEN: Rgb = { r: 0, g: 128, b: 0 };

/** One sample's value from Prometheus text, summed over the series matching `labels`. */
function sample(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || line.startsWith("#")) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(" ") || rest.startsWith("{")) || !rest.includes(labels)) continue;
    sum += Number(rest.slice(rest.lastIndexOf(" ") + 1));
  }
  return sum;
}

function remote(server: RunningServer, room: string): RemoteRoom {
  const found = server.rooms.get(room);
  if (!(found instanceof RemoteRoom)) throw new Error(`room ${room} is not in a media worker`);
  return found;
}

function workerPid(server: RunningServer, index: number): number {
  const worker = server.workers?.live.find((w) => w.index === index);
  if (!worker) throw new Error(`no media worker ${index}`);
  return worker.pid;
}

describe("rooms in media workers (MEDIA_WORKERS=2)", () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "tessera-workers-"));
  const clients: { close(): Promise<void> }[] = [];
  const client = (room: string, name: string, colour: string, toneHz: number) => {
    const c = new TestClient({ url: server.url, room, name, colour, toneHz });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      mediaWorkers: 2,
      recordingsDir: dir,
      maxRooms: 2,
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs an MCU room's media in a worker: each sees the other's tile and hears the mix", async () => {
    const alice = client("near", "Alice", "red", 440);
    const bob = client("near", "Bob", "green", 660);
    await alice.connect();
    await bob.connect();
    expect(remote(server, "near").workerIndex).toBeGreaterThanOrEqual(0);
    // Two tiles side by side: Alice's on the left, Bob's on the right.
    for (const viewer of [alice, bob])
      await eventually(
        () => closeTo(viewer.decoder.colourAt(320, 360), RED) && closeTo(viewer.decoder.colourAt(960, 360), GREEN),
        20_000,
        `${viewer === alice ? "Alice" : "Bob"} sees red and green tiles`,
      );
    await eventually(() => alice.receivedAudio.length > 50 && bob.receivedAudio.length > 50, 10_000, "the mix's audio arrives");
    // The room's decoders are the worker's children, counted in the server's process group.
    const decoders = server.processes.all().filter((p) => p.label.startsWith("room:near:decode:"));
    expect(decoders.length).toBe(2);
    expect(decoders.every((p) => isAlive(p.pid))).toBe(true);
  });

  it("sums the workers' media counters into /metrics and reports each worker's load", async () => {
    const carol = client("far", "Carol", "blue", 1000);
    await carol.connect();
    // Least loaded first: the second room goes to the other worker.
    expect(remote(server, "far").workerIndex).not.toBe(remote(server, "near").workerIndex);
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    // The workers report their load every second.
    let text = await scrape();
    for (let i = 0; i < 40 && sample(text, "tessera_media_worker_participants") !== 3; i++) {
      await new Promise((r) => setTimeout(r, 250));
      text = await scrape();
    }
    expect(sample(text, "tessera_media_worker_participants")).toBe(3);
    expect(sample(text, "tessera_media_worker_rooms")).toBe(2);
    expect(sample(text, "tessera_media_worker_rooms", 'worker="0"')).toBe(1);
    expect(sample(text, "tessera_media_worker_cpu_cores_used")).toBeGreaterThan(0);
    // Only the workers receive RTP: a non-zero total is theirs, and it grows.
    const before = sample(text, "tessera_rtp_packets_received_total", 'kind="video"');
    expect(before).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sample(await scrape(), "tessera_rtp_packets_received_total", 'kind="video"')).toBeGreaterThan(before);

    // MAX_ROOMS is the server's, whichever worker has room: a third room is refused.
    const third = client("third", "Erin", "white", 880);
    await expect(third.connect()).rejects.toThrow();
    expect(third.messages.find((m) => m.type === "error")).toMatchObject({ code: "server-full" });
  });
});

describe("a media worker killed mid-call", () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "tessera-worker-death-"));
  const closers: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      mediaWorkers: 2,
      recordingsDir: dir,
      apiToken: TOKEN,
    });
  });

  afterAll(async () => {
    await Promise.all(closers.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loses only its own room, whose participants are back on a live worker within 5 s, recording continued", async () => {
    const options = (name: string, colour: string, toneHz: number) => ({ room: "doomed", name, colour, toneHz, decode: false });
    const alice = new ReconnectingClient(options("Alice", "red", 440), [server.url]);
    const bob = new ReconnectingClient(options("Bob", "green", 660), [server.url]);
    const carol = new TestClient({ url: server.url, room: "beside", name: "Carol", colour: "blue", toneHz: 1000, decode: false });
    const dave = new TestClient({ url: server.url, room: "beside", name: "Dave", colour: "yellow", toneHz: 550, decode: false });
    closers.push(alice, bob, carol, dave);
    await alice.connect();
    await bob.connect();
    await carol.connect();
    await dave.connect();
    const doomed = remote(server, "doomed");
    expect(remote(server, "beside").workerIndex).not.toBe(doomed.workerIndex);
    const first = await doomed.capabilities.recording!.startRecording("api");
    await new Promise((r) => setTimeout(r, 4000));
    const pid = workerPid(server, doomed.workerIndex);
    const itsChildren = server.processes
      .all()
      .filter((p) => p.label.startsWith("room:doomed:"))
      .map((p) => p.pid);
    expect(itsChildren.length).toBeGreaterThan(0);
    const beside = { carolFrames: carol.frameArrivals.length, daveAudio: dave.audioArrivals.length, messages: carol.messages.length };

    const killedAt = performance.now();
    process.kill(pid, "SIGKILL");

    // Both come back, as new participants of a new room on a live worker, within 5 s of the kill.
    const [aliceBack, bobBack] = await Promise.all([alice.reconnected(killedAt, 15_000), bob.reconnected(killedAt, 15_000)]);
    console.log(`back ${Math.round(aliceBack - killedAt)} ms and ${Math.round(bobBack - killedAt)} ms after the kill`);
    expect(aliceBack - killedAt).toBeLessThan(5000);
    expect(bobBack - killedAt).toBeLessThan(5000);
    const told = alice.generations[0].messages.find((m) => m.type === "error");
    expect(told).toMatchObject({ type: "error", code: "room-failed" });
    const reborn = remote(server, "doomed");
    expect(reborn).not.toBe(doomed);
    expect(workerPid(server, reborn.workerIndex)).not.toBe(pid);

    // The room beside it noticed nothing: same session, no error, its media never paused.
    await new Promise((r) => setTimeout(r, 1500));
    expect(carol.socketOpen && dave.socketOpen).toBe(true);
    expect(carol.messages.slice(beside.messages).filter((m) => m.type === "error" || m.type === "bye")).toEqual([]);
    const framesSince = carol.frameArrivals.slice(beside.carolFrames);
    const audioSince = dave.audioArrivals.slice(beside.daveAudio);
    expect(framesSince.length).toBeGreaterThan(10);
    expect(maxGap(framesSince), "the longest gap in the other room's video around the kill").toBeLessThan(1000);
    expect(maxGap(audioSince), "the longest gap in the other room's audio around the kill").toBeLessThan(1000);

    // The dead worker's ffmpeg children are gone; the kill was counted.
    await eventually(() => itsChildren.every((p) => !isAlive(p)), 10_000, "the dead worker's ffmpeg children end");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(metrics, "tessera_media_worker_deaths_total")).toBe(1);

    // The first recording plays up to the kill; a second one continues it, named so in its info and the API.
    const second = await waitForContinuation(reborn, first.id);
    const firstInfo = await fetchRecording(server, first.id);
    expect(firstInfo).toMatchObject({ id: first.id, room: "doomed", interrupted: true });
    const report = await decodeFile(join(dir, firstInfo.file!));
    expect(report.hasVideo && report.hasAudio).toBe(true);
    expect(report.seconds).toBeGreaterThan(2.5);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await fetchRecording(server, second.id)).toMatchObject({ id: second.id, continues: first.id });
  });
});

async function waitForContinuation(room: RemoteRoom, previous: string): Promise<RecordingInfo> {
  let found: RecordingInfo | undefined;
  await eventually(
    () => {
      found = room.activeRecording;
      return found?.continues === previous;
    },
    10_000,
    "a recording continuing the first",
  );
  return found!;
}

/** The recording as the control API lists it. */
async function fetchRecording(server: RunningServer, id: string): Promise<RecordingInfo> {
  const response = await fetch(`${server.url}/api/recordings`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  const { recordings } = (await response.json()) as { recordings: RecordingInfo[] };
  const found = recordings.find((r) => r.id === id);
  if (!found) throw new Error(`recording ${id} is not listed`);
  return found;
}

/** Every descendant of `pid` (children, their children...), from /proc. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent || found.includes(child)) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

describe("SIGTERM with media workers", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-workers-term-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("drains every worker (the recording finished, its MP4 indexed) and leaves no process behind", async () => {
    const server = await startServerProcess({
      env: { MEDIA_WORKERS: "2", RECORDINGS_DIR: dir, AUTO_RECORD: "1", RECORDING_FORMAT: "mp4" },
    });
    const alice = new TestClient({ url: server.url, room: "term", name: "Alice", colour: "blue", toneHz: 660, decode: false });
    let descendants: number[] = [];
    let id = "";
    try {
      await alice.connect();
      const rec = await alice.waitFor((m) => m.type === "recording" && m.recording !== null, 10_000);
      if (rec.type === "recording" && rec.recording) id = rec.recording.id;
      await new Promise((r) => setTimeout(r, 2000));
      descendants = descendantsOf(server.child.pid!);
      // Two workers, and the room's ffmpeg decoder under one of them.
      expect(descendants.length).toBeGreaterThanOrEqual(3);
      server.child.kill("SIGTERM");
      expect(await server.exited).toEqual({ code: 0, signal: null });
    } finally {
      await server.kill();
      await alice.close();
    }
    await eventually(
      () => descendants.every((pid) => !isAlive(pid)),
      5000,
      `nothing of the server's is left: ${descendants.filter(isAlive).join(", ")}`,
    );
    const lines = readFileSync(join(dir, `${id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n");
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: "stop", reason: "server-shutdown" });
    expect(readdirSync(dir).filter((n) => n.includes("indexing"))).toEqual([]);
    expect((await decodeFile(join(dir, `${id}.mp4`))).hasVideo).toBe(true);
  });
});
