import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { readMarker } from "../../src/recordings/upload/uploadJournal.js";
import { eventually } from "../helpers/eventually.js";
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from "../helpers/s3Server.js";
import { startServerProcess, type ServerProcess } from "../helpers/serverProcess.js";
import { TestClient } from "../helpers/testClient.js";
import { startWebhookReceiver } from "../helpers/webhookReceiver.js";

const SECRET = "upload-webhook-secret-123";
const TOKEN = "upload-api-token";
// The SDK's default credential chain reads these (this file's own worker process): nothing test-only in the server.
process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

interface Event {
  type: string;
  room: string;
  reason?: string;
  recording?: Record<string, unknown> & {
    id: string;
    storage?: { bucket: string; key: string; timelineKey: string; voiceKeys?: string[] };
  };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("recordings uploaded to S3-compatible storage (s3rver on loopback)", () => {
  const root = mkdtempSync(join(tmpdir(), "tessera-s3-"));
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(root, { recursive: true, force: true });
  });

  async function storage(name: string): Promise<S3TestServer> {
    const dir = join(root, `s3-${name}`);
    mkdirSync(dir);
    const s3 = await startS3Server(dir);
    cleanup.push(() => s3.close());
    return s3;
  }

  async function recordFor(
    server: { url: string },
    room: string,
    ms: number,
    body: object,
  ): Promise<{ started: RecordingInfo; stopped: RecordingInfo; client: TestClient }> {
    const client = new TestClient({ url: server.url, room, name: "김민수", colour: "red", toneHz: 440 });
    cleanup.push(() => client.close());
    await client.connect();
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/api${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" } });
    const startRes = await api(`/rooms/${encodeURIComponent(room)}/recording/start`, { method: "POST", body: JSON.stringify(body) });
    expect(startRes.status).toBe(201);
    const started = (await startRes.json()) as RecordingInfo;
    await new Promise((r) => setTimeout(r, ms));
    const stopped = (await (await api(`/rooms/${encodeURIComponent(room)}/recording/stop`, { method: "POST" })).json()) as RecordingInfo;
    return { started, stopped, client };
  }

  it("uploads a finished MP4 with its timeline and voice file, verified; then recording.finished names the objects, the local files are gone, and links redirect to the object", async () => {
    const s3 = await storage("main");
    const dir = join(root, "rec-main");
    const receiver = await startWebhookReceiver();
    cleanup.push(() => receiver.close());
    let server: RunningServer | undefined = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: dir,
      publicUrl: "http://127.0.0.1",
      webhooks: { urls: [receiver.url], secret: SECRET, timeoutMs: 2000, retryForMs: 30_000 },
      recordingsS3: {
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: "us-east-1",
        pathStyle: true,
        prefix: "interviews/",
        keepLocal: false,
        partSizeBytes: 5 * 1024 * 1024,
        retryForMs: 60_000,
      },
    });
    cleanup.push(() => server?.close() ?? Promise.resolve());
    const events = () => receiver.received.map((r) => JSON.parse(r.body) as Event);
    const { started, client } = await recordFor(server, "면접-s3", 2500, { format: "mp4", voices: true });
    // Kept until verified: right after the stop the file is on disk, and nothing is announced yet.
    expect(existsSync(join(dir, `${started.id}.mp4`))).toBe(true);
    await eventually(() => events().some((e) => e.type === "recording.finished"), 30_000, "recording.finished arrives");
    const finished = events().find((e) => e.type === "recording.finished")!.recording!;
    // Announced only once uploaded: the marker says so and the local copies are gone.
    expect(readMarker(dir, started.id)?.state).toBe("uploaded");
    expect(existsSync(join(dir, `${started.id}.mp4`))).toBe(false);
    expect(existsSync(join(dir, `${started.id}.timeline.jsonl`))).toBe(false);
    expect(finished.storage).toMatchObject({
      bucket: s3.bucket,
      key: `interviews/${started.id}.mp4`,
      timelineKey: `interviews/${started.id}.timeline.jsonl`,
    });
    expect(finished.storage!.voiceKeys).toHaveLength(1);
    expect(finished.storage!.voiceKeys![0]).toMatch(new RegExp(`^interviews/${started.id}\\.voice-`));

    // The API lists it from its marker, and serves it by redirecting to a presigned GET of the object.
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server!.url}/api${path}`, { ...init, headers: { Authorization: `Bearer ${TOKEN}` } });
    const listed = ((await (await api("/recordings")).json()) as { recordings: RecordingInfo[] }).recordings.find(
      (r) => r.id === started.id,
    );
    expect(listed).toMatchObject({
      id: started.id,
      room: "면접-s3",
      format: "mp4",
      file: `${started.id}.mp4`,
      storage: { state: "uploaded", bucket: s3.bucket, local: false },
    });
    const direct = await api(`/recordings/${started.id}`, { redirect: "manual" });
    expect(direct.status).toBe(302);
    const location = direct.headers.get("location")!;
    expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/interviews/${started.id}.mp4?`)).toBe(true);
    const object = Buffer.from(await (await fetch(location)).arrayBuffer());
    // The object is the finished file: its hash is recording.finished's, and it is an indexed MP4.
    expect(object.length).toBe(finished.bytes);
    expect(sha(object)).toBe(finished.sha256);
    expect(object.toString("latin1")).not.toContain("moof");
    const timeline = await fetch((await api(`/recordings/${started.id}/timeline`, { redirect: "manual" })).headers.get("location")!);
    expect(await timeline.text()).toContain('"kind":"stop"');
    // The webhook's signed link leads there too, as an attachment named after the room.
    const link = new URL(finished.url as string);
    const viaLink = await fetch(`${server.url}${link.pathname}${link.search}`);
    expect(viaLink.status).toBe(200);
    expect(viaLink.url.startsWith(s3.endpoint)).toBe(true);
    expect(sha(Buffer.from(await viaLink.arrayBuffer()))).toBe(finished.sha256);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_recording_uploads_total\{outcome="succeeded"\} 1/);
    expect(metrics).toMatch(/tessera_recording_uploads_in_flight 0/);

    // DELETE removes the objects and the record.
    expect((await api(`/recordings/${started.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(location)).status).toBe(404);
    expect((await api(`/recordings/${started.id}`)).status).toBe(404);
    expect(readMarker(dir, started.id)).toBeUndefined();

    await client.close();
    await server.close();
    server = undefined;
    const types = events().map((e) => e.type);
    expect(types.indexOf("recording.started")).toBeLessThan(types.indexOf("recording.finished"));
  });

  it("with keep-local, the file stays after the upload and the signed link streams it from disk", async () => {
    const s3 = await storage("keep");
    const dir = join(root, "rec-keep");
    const server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: dir,
      recordingsS3: {
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: "us-east-1",
        pathStyle: true,
        prefix: "",
        keepLocal: true,
        partSizeBytes: 5 * 1024 * 1024,
        retryForMs: 60_000,
      },
    });
    cleanup.push(() => server.close());
    const { started, client } = await recordFor(server, "keep", 2000, {});
    await eventually(() => readMarker(dir, started.id)?.state === "uploaded", 30_000, "the upload is verified");
    const local = readFileSync(join(dir, `${started.id}.webm`));
    const info = (await (
      await fetch(`${server.url}/api/recordings/${started.id}/url`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as { url: string };
    const link = new URL(info.url);
    const served = await fetch(`${server.url}${link.pathname}${link.search}`, { redirect: "manual" });
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(local)).toBe(true);
    const listed = (
      await (
        await fetch(`${server.url}/api/recordings/${started.id}`, { headers: { Authorization: `Bearer ${TOKEN}`, Range: "bytes=0-3" } })
      ).arrayBuffer()
    ).byteLength;
    expect(listed).toBe(4);
    expect(readMarker(dir, started.id)?.objects.map((o) => o.key)).toEqual([`${started.id}.webm`, `${started.id}.timeline.jsonl`]);
    await client.close();
  });

  it("an upload given up (storage down past its retry time) sends recording.failed saying so; the file stays and is listed as failed", async () => {
    const s3 = await storage("down");
    const dir = join(root, "rec-down");
    const receiver = await startWebhookReceiver();
    cleanup.push(() => receiver.close());
    const server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: dir,
      webhooks: { urls: [receiver.url], secret: SECRET, timeoutMs: 2000, retryForMs: 30_000 },
      recordingsS3: {
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: "us-east-1",
        pathStyle: true,
        prefix: "",
        keepLocal: false,
        partSizeBytes: 5 * 1024 * 1024,
        retryForMs: 3000,
      },
    });
    cleanup.push(() => server.close());
    await s3.kill();
    const { started, client } = await recordFor(server, "down", 2000, {});
    const events = () => receiver.received.map((r) => JSON.parse(r.body) as Event);
    await eventually(() => events().some((e) => e.type === "recording.failed"), 30_000, "recording.failed once the upload is given up");
    const failed = events().find((e) => e.type === "recording.failed")!;
    expect(failed.recording).toMatchObject({ id: started.id, format: "webm" });
    expect(failed.reason).toMatch(
      /^the upload to storage was given up \(.*gave up after \d+ attempts.*\); the files stay in RECORDINGS_DIR$/,
    );
    expect(events().map((e) => e.type)).not.toContain("recording.finished");
    expect(existsSync(join(dir, `${started.id}.webm`))).toBe(true);
    const listed = (await (
      await fetch(`${server.url}/api/recordings/${started.id}/url`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json()) as { url: string };
    expect(listed.url).toContain(started.id);
    const all = (
      (await (await fetch(`${server.url}/api/recordings`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as {
        recordings: RecordingInfo[];
      }
    ).recordings;
    expect(all.find((r) => r.id === started.id)?.storage).toMatchObject({ state: "failed", local: true });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_recording_uploads_total\{outcome="failed"\} 1/);
    expect(metrics).toMatch(/tessera_recording_upload_retries_total [1-9]/);
    await client.close();
  });

  it("a SIGTERM with an upload pending (storage down) does not hang; the next start resumes it from the marker and then announces the recording", async () => {
    const s3 = await storage("restart");
    const dir = join(root, "rec-restart");
    const receiver = await startWebhookReceiver();
    cleanup.push(() => receiver.close());
    const env = {
      RECORDINGS_DIR: dir,
      API_TOKEN: TOKEN,
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: SECRET,
      SHUTDOWN_GRACE_MS: "8000",
      RECORDINGS_S3_BUCKET: s3.bucket,
      RECORDINGS_S3_ENDPOINT: s3.endpoint,
      RECORDINGS_S3_PATH_STYLE: "true",
      RECORDINGS_S3_PREFIX: "r/",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    let server: ServerProcess | undefined = await startServerProcess({ env });
    cleanup.push(() => server?.kill() ?? Promise.resolve());
    await s3.kill();
    const { started, client } = await recordFor(server, "restart", 2000, {});
    await client.close();
    await eventually(() => readMarker(dir, started.id)?.state === "queued", 15_000, "the finished recording is queued");
    await eventually(
      () => /recording upload failed: retrying/.test(server!.stderr()),
      15_000,
      "a failed attempt against the storage that is down",
    );
    const local = readFileSync(join(dir, `${started.id}.webm`));
    const stopping = performance.now();
    server.child.kill("SIGTERM");
    const exit = await server.exited;
    expect(exit.code, "a clean exit despite the pending upload").toBe(0);
    expect(performance.now() - stopping).toBeLessThan(8000);
    server = undefined;
    // Nothing finished is only on disk without a record: the marker says it waits, and the file is there.
    expect(readMarker(dir, started.id)?.state).toBe("queued");
    expect(readFileSync(join(dir, `${started.id}.webm`)).equals(local)).toBe(true);
    expect(receiver.received.map((r) => (JSON.parse(r.body) as Event).type)).not.toContain("recording.finished");

    await s3.restart();
    server = await startServerProcess({ env });
    const events = () => receiver.received.map((r) => JSON.parse(r.body) as Event);
    await eventually(() => events().some((e) => e.type === "recording.finished"), 30_000, "recording.finished after the resumed upload");
    const finished = events().find((e) => e.type === "recording.finished")!.recording!;
    expect(finished).toMatchObject({ id: started.id, sha256: sha(local), bytes: local.length, storage: { key: `r/${started.id}.webm` } });
    expect(existsSync(join(dir, `${started.id}.webm`))).toBe(false);
    const direct = await fetch(`${server.url}/api/recordings/${started.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(sha(Buffer.from(await direct.arrayBuffer()))).toBe(sha(local));
    await server.kill();
    server = undefined;
  });
});
