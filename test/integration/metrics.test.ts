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

  it("needs no token on loopback, and reports rooms by mode and participants by role", async () => {
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

  it("reports mixed frames as a counter, restarts and the CPU of the ffmpeg children, with no room label", async () => {
    const first = await scrape();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2500));
    const room = server.rooms.get("metered");
    if (!(room instanceof McuRoom)) throw new Error("expected the MCU room to be open");
    const sentBefore = room.mediaStats.video.framesSent;
    const samples = await scrape();
    const sentAfter = room.mediaStats.video.framesSent;
    const seconds = (performance.now() - t0) / 1000;
    const frames = (s: Sample[]) => find(s, "tessera_mix_frames_total")[0]?.value ?? 0;
    // rate(): above zero, not above 30 fps (plus the sampling's slack); the machine may be busy with other work.
    const fps = (frames(samples) - frames(first)) / seconds;
    expect(fps).toBeGreaterThan(0);
    expect(fps).toBeLessThan(40);
    // The one room's own count, read around the scrape: the server-wide counter is exactly its frames.
    expect(frames(samples)).toBeGreaterThanOrEqual(sentBefore);
    expect(frames(samples)).toBeLessThanOrEqual(sentAfter);
    expect(frames(samples)).toBeGreaterThan(0);
    expect(find(samples, "tessera_mix_frames_dropped_total")).toHaveLength(1);
    expect(find(samples, "tessera_ffmpeg_restarts_total", { process: "encoder" })[0]?.value).toBe(0);
    expect(find(samples, "tessera_ffmpeg_restarts_total", { process: "decoder" })[0]?.value).toBe(0);
    // An encoder at 30 fps plus a decoder for 2.5 s use measurable CPU.
    const cpu = find(samples, "tessera_mix_cpu_seconds_total")[0]?.value ?? 0;
    expect(cpu).toBeGreaterThan(0.05);
    // No series names a room: room names are users' to choose, without bound.
    expect(samples.filter((s) => "room" in s.labels)).toEqual([]);
    expect(samples.map((s) => JSON.stringify(s.labels)).join()).not.toContain("metered");
    // Nobody is recording.
    expect(find(samples, "tessera_recording_bytes")[0]?.value).toBe(0);
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
    const reported = find(await scrape(), "tessera_mix_cpu_seconds_total")[0]?.value ?? 0;
    // Without the exited children the total would be about liveCpu alone.
    expect(reported).toBeGreaterThanOrEqual(liveCpu + exitedCpu - 1e-9);
  });

  it("counts a decoder that dies on its own, once", async () => {
    const ada = clients[0];
    const byLabel = (label: string) => server.processes.all().find((p) => p.label === label && p.running);
    // The mix's encoder runs in the server's own process (node-av), so only decoders are children.
    expect(
      server.processes
        .all()
        .map((p) => p.label)
        .filter((l) => l.endsWith(":encode")),
    ).toEqual([]);
    const decoder = byLabel(`room:metered:decode:${ada.id}`);
    if (!decoder)
      throw new Error(
        `expected Ada's decoder; have ${server.processes
          .all()
          .map((p) => p.label)
          .join(", ")}`,
      );
    // As if it crashed: a signal straight to the PID this server started, not through close().
    process.kill(decoder.pid, "SIGKILL");
    const restarts = async (kind: string) => find(await scrape(), "tessera_ffmpeg_restarts_total", { process: kind })[0]?.value;
    await eventually(() => !decoder.running, 5000, "the killed child to be reaped");
    expect(await restarts("decoder")).toBe(1);
    expect(await restarts("encoder")).toBe(0);
    // It comes back: the mix keeps flowing to the viewer.
    await eventually(() => byLabel(`room:metered:decode:${ada.id}`) !== undefined, 5000, "a replacement");
    const vic = clients[1];
    const before = vic.decoder.framesDecoded;
    await eventually(() => vic.decoder.framesDecoded > before + 10, 10_000, "the viewer to receive frames again");
  });

  it("counts RTP packets, PLIs, WebSocket connections and the join-to-first-frame time", async () => {
    const samples = await scrape();
    expect(find(samples, "tessera_rtp_packets_received_total", { kind: "video" })[0]?.value).toBeGreaterThan(50);
    expect(find(samples, "tessera_rtp_packets_received_total", { kind: "audio" })[0]?.value).toBeGreaterThan(50);
    // The mixer asks each new camera for a keyframe; the restarted decoder above asked again.
    expect(find(samples, "tessera_rtcp_feedback_total", { type: "pli-sent" })[0]?.value).toBeGreaterThan(0);
    expect(find(samples, "tessera_rtcp_feedback_total", { type: "nack-received" })).toHaveLength(1);
    expect(find(samples, "tessera_connection_failures_total", { kind: "ice" })).toHaveLength(1);
    // Ada, Vic and Bob.
    expect(find(samples, "tessera_websocket_connections_total")[0]?.value).toBe(3);
    // Each of the three has been sent mixed frames: three observations, each well under the connect timeout.
    const count = find(samples, "tessera_join_to_first_frame_seconds_count")[0]?.value;
    const sum = find(samples, "tessera_join_to_first_frame_seconds_sum")[0]?.value ?? Infinity;
    expect(count).toBe(3);
    expect(sum / 3).toBeLessThan(15);
    expect(find(samples, "tessera_join_to_first_frame_seconds_bucket", { le: "+Inf" })[0]?.value).toBe(3);
    // Each connected receiver's link, as the lowest, median and highest over them: on loopback no estimate falls,
    // and the server is sending each of them the mix.
    for (const stat of ["min", "median", "max"])
      expect(find(samples, "tessera_receiver_available_bits_per_second", { stat })[0]?.value).toBeGreaterThanOrEqual(1_000_000);
    expect(find(samples, "tessera_receiver_sent_bits_per_second", { stat: "min" })[0]?.value).toBeGreaterThan(0);
    expect(find(samples, "tessera_receiver_loss_ratio", { stat: "max" })[0]?.value).toBeLessThan(0.1);
    expect(find(samples, "tessera_receiver_retransmissions", { outcome: "abandoned" })).toHaveLength(1);
    expect(find(samples, "tessera_build_info")[0]).toMatchObject({
      value: 1,
      labels: { version: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.versions.node },
    });
  });

  it("keeps the counters after the room has closed", async () => {
    const before = find(await scrape(), "tessera_mix_frames_total")[0]?.value ?? 0;
    await Promise.all(clients.map((c) => c.close()));
    clients.length = 0;
    await new Promise((r) => setTimeout(r, 1500));
    const samples = await scrape();
    expect(find(samples, "tessera_rooms", { mode: "mcu" })[0]?.value).toBe(0);
    // A counter never goes down: the closed room's frames stay counted.
    expect(find(samples, "tessera_mix_frames_total")[0]?.value).toBeGreaterThanOrEqual(before);
    expect(find(samples, "tessera_mix_cpu_seconds_total")[0]?.value).toBeGreaterThan(0);
  });
});
