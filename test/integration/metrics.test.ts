import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { processCpuSeconds } from "../../src/metrics/procCpu.js";
import { McuRoom } from "../../src/rooms/mcuRoom.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { testPatternClip } from "../helpers/fixtures.js";
import { TestClient } from "../helpers/testClient.js";

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Prometheus text format, the subset prom-client writes: `name{a="b",c="d"} value`. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe("/metrics while a room is live", () => {
  let server: RunningServer;
  let other: RunningServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // Two servers in one process: each must have its own registry (a shared one would throw on registration).
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: "secret" }, silentLogger);
    other = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, silentLogger);
    clients.push(
      // A moving camera-sized picture, so Ada's decoder does measurable work before it is replaced.
      new TestClient({ url: server.url, room: "metered", name: "Ada", clip: testPatternClip(), toneHz: 440 }),
      new TestClient({ url: server.url, room: "metered", name: "Vic", role: "viewer" }),
    );
    for (const c of clients) await c.connect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await other?.close();
    expect(server.processes.size).toBe(0);
  });

  const scrape = async (url = server.url) => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  };

  it("needs no token, and reports rooms by mode and participants by role", async () => {
    const samples = await scrape();
    expect(find(samples, "tessera_rooms", { mode: "mcu" })[0]?.value).toBe(1);
    expect(find(samples, "tessera_rooms", { mode: "sfu" })[0]?.value).toBe(0);
    expect(find(samples, "tessera_participants", { mode: "mcu", role: "sender" })[0]?.value).toBe(1);
    expect(find(samples, "tessera_participants", { mode: "mcu", role: "viewer" })[0]?.value).toBe(1);
    // Default process metrics are there too.
    expect(find(samples, "process_cpu_seconds_total")).toHaveLength(1);
    expect(find(samples, "nodejs_eventloop_lag_seconds")).toHaveLength(1);
    // The other server has no rooms, whatever this one has.
    expect(find(await scrape(other.url), "tessera_rooms", { mode: "mcu" })[0]?.value).toBe(0);
  });

  it("reports the room's output frame rate, frames, restarts and the CPU of its ffmpeg children", async () => {
    // The rate is measured over a rolling window the server samples every second: give it two seconds.
    await new Promise((r) => setTimeout(r, 2500));
    const samples = await scrape();
    const room = { room: "metered" };
    const fps = find(samples, "tessera_room_output_fps", room)[0]?.value ?? 0;
    // Above zero, not near 30: the machine running the tests may be busy with other work.
    expect(fps).toBeGreaterThan(0);
    expect(fps).toBeLessThan(40);
    // Frames are counted from the first media on (the encoder starts then): some seconds' worth on any machine.
    expect(find(samples, "tessera_room_frames_sent_total", room)[0]?.value).toBeGreaterThan(10);
    expect(find(samples, "tessera_room_frames_dropped_total", room)).toHaveLength(1);
    expect(find(samples, "tessera_ffmpeg_restarts_total", { ...room, process: "encoder" })[0]?.value).toBe(0);
    expect(find(samples, "tessera_ffmpeg_restarts_total", { ...room, process: "decoder" })[0]?.value).toBe(0);
    // An encoder at 30 fps plus a decoder for 2.5 s use measurable CPU.
    const cpu = find(samples, "tessera_room_cpu_seconds_total", room)[0]?.value ?? 0;
    expect(cpu).toBeGreaterThan(0.05);
    // Nobody is recording.
    expect(find(samples, "tessera_recording_bytes")).toHaveLength(0);
    expect(find(samples, "tessera_recording_bytes_written_total")[0]?.value).toBe(0);
  });

  it("keeps counting the CPU of ffmpeg children that have exited", async () => {
    const room = server.rooms.get("metered");
    if (!(room instanceof McuRoom)) throw new Error("expected the MCU room to be open");
    const cpuOf = (pids: readonly number[]) => new Map(pids.map((pid) => [pid, processCpuSeconds(pid) ?? 0]));
    // Read before the scrape, so the server's own readings of these children can only be later (and higher).
    const before = cpuOf(room.mediaStats.ffmpegPids);
    await scrape();
    // A second sender re-lays the grid: Ada's decoder is replaced by one at the new tile size and exits.
    const bob = new TestClient({ url: server.url, room: "metered", name: "Bob", colour: "green" });
    clients.push(bob);
    await bob.connect();
    await new Promise((r) => setTimeout(r, 2500));
    const live = room.mediaStats.ffmpegPids;
    const exited = [...before.keys()].filter((pid) => !live.includes(pid));
    expect(exited.length).toBeGreaterThan(0);
    const exitedCpu = exited.reduce((sum, pid) => sum + before.get(pid)!, 0);
    expect(exitedCpu).toBeGreaterThan(0.02);
    const liveCpu = [...cpuOf(live).values()].reduce((a, b) => a + b, 0);
    const reported = find(await scrape(), "tessera_room_cpu_seconds_total", { room: "metered" })[0]?.value ?? 0;
    // Without the exited children the total would be about liveCpu alone.
    expect(reported).toBeGreaterThanOrEqual(liveCpu + exitedCpu - 1e-9);
  });

  it("counts a decoder that dies on its own, once", async () => {
    const ada = clients[0];
    const byLabel = (label: string) => server.processes.all().find((p) => p.label === label && p.running);
    // The mix's encoder runs in the server's own process (node-av), so only decoders are children.
    expect(server.processes.all().map((p) => p.label).filter((l) => l.endsWith(":encode"))).toEqual([]);
    const decoder = byLabel(`room:metered:decode:${ada.id}`);
    if (!decoder) throw new Error(`expected Ada's decoder; have ${server.processes.all().map((p) => p.label).join(", ")}`);
    // As if it crashed: a signal straight to the PID this server started, not through close().
    process.kill(decoder.pid, "SIGKILL");
    const restarts = async (kind: string) => find(await scrape(), "tessera_ffmpeg_restarts_total", { room: "metered", process: kind })[0]?.value;
    await eventually(() => !decoder.running, 5000, "the killed child to be reaped");
    expect(await restarts("decoder")).toBe(1);
    expect(await restarts("encoder")).toBe(0);
    // It comes back: the mix keeps flowing to the viewer.
    await eventually(() => byLabel(`room:metered:decode:${ada.id}`) !== undefined, 5000, "a replacement");
    const vic = clients[1];
    const before = vic.decoder.framesDecoded;
    await eventually(() => vic.decoder.framesDecoded > before + 10, 10_000, "the viewer to receive frames again");
  });

  it("drops a room's series once the room has closed", async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients.length = 0;
    await new Promise((r) => setTimeout(r, 1500));
    const samples = await scrape();
    expect(find(samples, "tessera_rooms", { mode: "mcu" })[0]?.value).toBe(0);
    expect(find(samples, "tessera_room_output_fps")).toHaveLength(0);
    expect(find(samples, "tessera_room_cpu_seconds_total")).toHaveLength(0);
  });
});
