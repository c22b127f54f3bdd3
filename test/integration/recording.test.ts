import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import type { McuRoom } from "../../src/rooms/mcuRoom.js";
import { startServer, type RunningServer } from "../../src/server.js";
import type { ServerMessage } from "../../protocol/messages.js";
import { eventually } from "../helpers/eventually.js";
import { decodeFile } from "../helpers/mediaProbe.js";
import { TestClient } from "../helpers/testClient.js";
import { readServerMessage } from "../helpers/serverMessage.js";

const TOKEN = "recording-test-token";

/** A bare signaling connection: joins and listens, no media (enough for a room to exist and to hear broadcasts). */
async function rawJoin(
  url: string,
  room: string,
  name: string,
  mode?: "sfu" | "mcu",
  role: "viewer" | "sender" = "viewer",
): Promise<{ ws: WebSocket; messages: ServerMessage[] }> {
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
  const messages: ServerMessage[] = [];
  ws.on("message", (d) => messages.push(readServerMessage(d)));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ type: "join", room, name, role, ...(mode ? { mode } : {}) }));
  await eventually(() => messages.some((m) => m.type === "joined"), 5000, `${name} joined`);
  return { ws, messages };
}

describe("recording an MCU room", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];
  const api = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    fetch(`${server.url}/api${path}`, { ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...init.headers } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-rec-"));
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, recordingsDir: dir });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let recorded: RecordingInfo;

  it("records the mix through a join and a leave into one WebM that ffmpeg decodes, with a timeline", async () => {
    const alice = new TestClient({ url: server.url, room: "rec", name: "Alice", colour: "red", toneHz: 440 });
    clients.push(alice);
    await alice.connect();
    expect(alice.messages.find((m) => m.type === "joined")).toMatchObject({ recording: null });
    // Alone and audible, Alice is the speaker before the recording starts, so the timeline's first speaker change is Bob's.
    await eventually(() => (server.rooms.get("rec") as McuRoom).activeSpeaker === alice.id, 5000, "Alice is the speaker");

    const startRes = await api("/rooms/rec/recording/start", { method: "POST" });
    const startedAt = performance.now();
    expect(startRes.status).toBe(201);
    const started = (await startRes.json()) as RecordingInfo;
    expect(started.id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(started.room).toBe("rec");
    await alice.waitFor((m) => m.type === "recording" && m.recording?.id === started.id);
    expect(server.rooms.get("rec")?.capabilities.recording?.activeRecording?.id).toBe(started.id);

    await new Promise((r) => setTimeout(r, 1500));
    // Quieter than Alice, so he takes the floor only once she is muted.
    const bob = new TestClient({ url: server.url, room: "rec", name: "Bob", colour: "green", toneHz: 660, toneAmplitude: 3000 });
    clients.push(bob);
    await bob.connect();
    // A newcomer sees the REC indicator from `joined` on.
    expect(bob.messages.find((m) => m.type === "joined")).toMatchObject({ recording: { id: started.id } });
    await new Promise((r) => setTimeout(r, 1500));
    alice.send({ type: "mute", audio: true });
    await eventually(
      () =>
        server.rooms
          .get("rec")!
          .list()
          .some((m) => m.audioMuted),
      5000,
      "Alice's mute reaches the room",
    );
    // The mixer's speaker detector, not the test, moves the floor to Bob.
    await eventually(
      () => (server.rooms.get("rec") as McuRoom).activeSpeaker === bob.id,
      5000,
      "Bob becomes the speaker once Alice is muted",
    );
    await bob.close();
    clients.splice(clients.indexOf(bob), 1);
    await new Promise((r) => setTimeout(r, 1500));
    const growing = server.rooms.get("rec")!.capabilities.recording!.activeRecording!.bytes;
    expect(growing).toBeGreaterThan(10_000);

    const stopRes = await api("/rooms/rec/recording/stop", { method: "POST" });
    const stoppedAfter = (performance.now() - startedAt) / 1000;
    expect(stopRes.status).toBe(200);
    recorded = (await stopRes.json()) as RecordingInfo;
    expect(recorded.stoppedAt).toBeDefined();
    await alice.waitFor((m) => m.type === "recording" && m.recording === null);
    expect(server.rooms.get("rec")?.capabilities.recording?.activeRecording).toBeUndefined();
    // The only recording this server has made: the counter holds its final size to the byte.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^tessera_recording_bytes_written_total (\d+)/m.exec(metrics)?.[1])).toBe(recorded.bytes);
    expect(statSync(join(dir, `${recorded.id}.webm`)).size).toBe(recorded.bytes);

    const report = await decodeFile(join(dir, `${recorded.id}.webm`));
    expect(report.hasVideo).toBe(true);
    expect(report.hasAudio).toBe(true);
    expect(Math.abs(report.seconds - stoppedAfter), `decoded ${report.seconds} s, stopped after ${stoppedAfter} s`).toBeLessThan(0.5);
    expect(Math.abs(report.seconds - recorded.durationMs! / 1000)).toBeLessThan(0.2);
    expect(report.videoFrames).toBeGreaterThan(stoppedAfter * 20);

    const lines = readFileSync(join(dir, `${recorded.id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // The speaker leaving clears the speaker: nobody else is talking (Alice is muted).
    expect(lines.map((l) => l.kind)).toEqual(["start", "join", "mute", "speaker", "leave", "speaker", "stop"]);
    expect(lines[0]).toMatchObject({ room: "rec", recording: recorded.id, t: 0, participants: [{ name: "Alice" }] });
    expect(lines[1]).toMatchObject({ participant: { name: "Bob" } });
    expect(lines[2]).toMatchObject({ participant: alice.id, audio: true });
    expect(lines[3]).toMatchObject({ participant: bob.id });
    expect(lines[4]).toMatchObject({ participant: { name: "Bob" } });
    expect(lines[5]).toMatchObject({ participant: null });
    const times = lines.map((l) => l.t as number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[1]).toBeGreaterThan(1000);
    expect(times[4] - times[1]).toBeGreaterThan(1000);
    for (const l of lines) expect(Date.parse(l.at as string)).toBeGreaterThan(0);
  });

  it("lists, serves with ranges and deletes recordings through the API", async () => {
    const list = (await (await api("/recordings")).json()) as { recordings: RecordingInfo[] };
    expect(list.recordings.find((r) => r.id === recorded.id)).toMatchObject({
      room: "rec",
      stoppedAt: recorded.stoppedAt,
      bytes: recorded.bytes,
    });

    const whole = await api(`/recordings/${recorded.id}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/webm");
    expect((await whole.arrayBuffer()).byteLength).toBe(recorded.bytes);

    const part = await api(`/recordings/${recorded.id}`, { headers: { Range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${recorded.bytes}`);
    const partBytes = Buffer.from(await part.arrayBuffer());
    expect(partBytes.equals(readFileSync(join(dir, `${recorded.id}.webm`)).subarray(100, 200))).toBe(true);

    expect((await api(`/recordings/${recorded.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/recordings/${recorded.id}`)).status).toBe(404);
    expect((await api(`/recordings/${recorded.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses what it cannot do, with a status and a message naming the problem", async () => {
    const unauthenticated = await api("/recordings", {}, null);
    expect(unauthenticated.status).toBe(401);
    expect((await api("/recordings", {}, "wrong-token")).status).toBe(401);

    const noRoom = await api("/rooms/nowhere/recording/start", { method: "POST" });
    expect(noRoom.status).toBe(404);
    expect(await noRoom.json()).toMatchObject({ error: "unknown-room" });

    for (const bad of ["..%2F..%2Fetc%2Fpasswd", "20260101T000000Z-0123abcd.webm", "x"]) {
      const res = await api(`/recordings/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: "bad-recording-id" });
    }
    expect((await api("/recordings/20200101T000000Z-0123abcd")).status).toBe(404);

    const notRecording = await api("/rooms/rec/recording/stop", { method: "POST" });
    expect(notRecording.status).toBe(409);
    expect(await notRecording.json()).toMatchObject({ error: "recording-state" });

    const first = (await (await api("/rooms/rec/recording/start", { method: "POST" })).json()) as RecordingInfo;
    const twice = await api("/rooms/rec/recording/start", { method: "POST" });
    expect(twice.status).toBe(409);
    expect((await twice.json()).message).toContain("already being recorded");
    const inProgress = await api(`/recordings/${first.id}`, { method: "DELETE" });
    expect(inProgress.status).toBe(409);
    expect(await inProgress.json()).toMatchObject({ error: "recording-in-progress" });
    const live = (await (await api("/recordings")).json()) as { recordings: RecordingInfo[] };
    expect(live.recordings.find((r) => r.id === first.id)?.stoppedAt).toBeUndefined();
    expect((await api("/rooms/rec/recording/stop", { method: "POST" })).status).toBe(200);

    const sfu = await rawJoin(server.url, "forwarding", "Sam", "sfu");
    const wrongMode = await api("/rooms/forwarding/recording/start", { method: "POST" });
    expect(wrongMode.status).toBe(409);
    expect(await wrongMode.json()).toMatchObject({ error: "wrong-mode", message: expect.stringContaining("mcu rooms") });
    sfu.ws.close();
  });

  it("starts and stops from a participant's record message, telling everyone in the room", async () => {
    const alice = clients[0];
    const viewer = await rawJoin(server.url, "rec", "Vera");
    // Viewers watch: only senders may start or stop a recording.
    viewer.ws.send(JSON.stringify({ type: "record", action: "start" }));
    await eventually(
      () => viewer.messages.some((m) => m.type === "error" && m.code === "recording-state" && m.message.includes("only senders")),
      5000,
      "a viewer's start is refused",
    );
    expect(server.rooms.get("rec")?.capabilities.recording?.activeRecording).toBeUndefined();
    viewer.ws.close();
    const sender = await rawJoin(server.url, "rec", "Sam", undefined, "sender");
    const from = alice.messages.length;
    sender.ws.send(JSON.stringify({ type: "record", action: "start" }));
    const on = await alice.waitFor((m) => m.type === "recording" && m.recording !== null, 5000, from);
    // REC says who started it; a page joining now learns it from `joined`.
    expect(on.type === "recording" ? on.recording?.startedBy : undefined).toBe("Sam");
    const late = await rawJoin(server.url, "rec", "Lee");
    const joined = late.messages.find((m) => m.type === "joined");
    expect(joined?.type === "joined" ? joined.recording?.startedBy : undefined).toBe("Sam");
    late.ws.close();
    await eventually(() => sender.messages.some((m) => m.type === "recording" && m.recording !== null), 5000, "the sender sees REC");
    sender.ws.send(JSON.stringify({ type: "record", action: "start" }));
    await eventually(
      () => sender.messages.some((m) => m.type === "error" && m.code === "recording-state"),
      5000,
      "a second start is refused",
    );
    sender.ws.send(JSON.stringify({ type: "record", action: "pause" }));
    await eventually(
      () => sender.messages.some((m) => m.type === "error" && m.code === "bad-message" && m.message.includes("action")),
      5000,
      "an unknown action is refused",
    );
    // Stopped before its first frame a recording has nothing to keep (its files are removed): let media reach the file.
    await eventually(
      () => (server.rooms.get("rec")?.capabilities.recording?.activeRecording?.bytes ?? 0) > 1000,
      5000,
      "the recording's first cluster is on disk",
    );
    alice.send({ type: "record", action: "stop" });
    await alice.waitFor((m) => m.type === "recording" && m.recording === null, 5000, from);
    const id = on.type === "recording" ? on.recording?.id : undefined;
    const info = (await (await api(`/recordings`)).json()) as { recordings: RecordingInfo[] };
    expect(info.recordings.find((r) => r.id === id)?.stoppedAt).toBeDefined();
    sender.ws.close();
  });

  it("records a room whose only receiver takes H264 in VP8, starting the VP8 encoder for the recording alone", async () => {
    const safari = new TestClient({
      url: server.url,
      room: "rec-h264",
      name: "Safari",
      colour: "red",
      toneHz: 440,
      videoCodecs: ["h264", "vp8"],
    });
    clients.push(safari);
    await safari.connect();
    const room = server.rooms.get("rec-h264")!;
    const codecs = () => [...(room.capabilities.mix?.mediaStats.video.outputCodecs ?? [])].sort();
    await eventually(() => safari.mixCodecsReceived.has("h264"), 5000, "Safari receives the H264 mix");
    expect(codecs()).toEqual(["h264"]);
    const start = await api("/rooms/rec-h264/recording/start", { method: "POST" });
    expect(start.status).toBe(201);
    expect(codecs()).toEqual(["h264", "vp8"]);
    await new Promise((r) => setTimeout(r, 2000));
    const stop = await api("/rooms/rec-h264/recording/stop", { method: "POST" });
    const info = (await stop.json()) as RecordingInfo;
    // The VP8 encoder was there for the file only: it stops with it.
    expect(codecs()).toEqual(["h264"]);
    const report = await decodeFile(join(dir, `${info.id}.webm`));
    expect(report.hasVideo).toBe(true);
    expect(report.videoFrames).toBeGreaterThan(30);
    expect([...safari.mixCodecsReceived]).toEqual(["h264"]);
    await safari.close();
    clients.splice(clients.indexOf(safari), 1);
  });

  it("finishes the recording when the room closes, and leaves no ffmpeg child behind", async () => {
    const started = (await (await api("/rooms/rec/recording/start", { method: "POST" })).json()) as RecordingInfo;
    await new Promise((r) => setTimeout(r, 1200));
    await Promise.all(clients.map((c) => c.close()));
    clients.length = 0;
    await eventually(() => server.rooms.all().length === 0, 10_000, "the room closes");
    const lines = readFileSync(join(dir, `${started.id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; reason?: string });
    expect(lines.at(-1)).toMatchObject({ kind: "stop", reason: "room closed" });
    const report = await decodeFile(join(dir, `${started.id}.webm`));
    expect(report.hasVideo && report.hasAudio).toBe(true);
    expect(report.stderr).toMatch(/Duration: 00:00:0\d\.\d\d/);
    await eventually(() => server.processes.size === 0, 10_000, "no ffmpeg child remains");
  });
});

describe("recording API without a token configured", () => {
  it("is off (403)", async () => {
    const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    try {
      const res = await fetch(`${server.url}/api/recordings`);
      expect(res.status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe("recording into a directory that cannot be written", () => {
  it("answers 500 recording-failed naming the problem, and the room carries on", async () => {
    const parent = mkdtempSync(join(tmpdir(), "tessera-rec-bad-"));
    const notADir = join(parent, "file");
    writeFileSync(notADir, "not a directory");
    const server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: notADir,
    });
    const vic = await rawJoin(server.url, "stuck", "Vic", "mcu", "sender");
    try {
      const res = await fetch(`${server.url}/api/rooms/stuck/recording/start`, {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("recording-failed");
      expect(body.message).toContain("RECORDINGS_DIR");
      // What failed and why, not where: the server's paths stay in its log.
      expect(body.message).not.toContain(parent);
      expect(server.rooms.get("stuck")?.capabilities.recording?.activeRecording).toBeUndefined();
      vic.ws.send(JSON.stringify({ type: "record", action: "start" }));
      await eventually(
        () => vic.messages.some((m) => m.type === "error" && m.code === "recording-failed"),
        5000,
        "the record message is refused with recording-failed",
      );
      expect(JSON.stringify(vic.messages.find((m) => m.type === "error"))).not.toContain(parent);
      expect(vic.messages.some((m) => m.type === "recording" && m.recording !== null)).toBe(false);
      expect((await fetch(`${server.url}/api/recordings`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(500);
    } finally {
      vic.ws.close();
      await server.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
