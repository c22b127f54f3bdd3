import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RecordingInfo } from "../../src/recordings/recordingInfo.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { verifyWebhook } from "../../src/webhooks/webhookSignature.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";
import { startWebhookReceiver } from "../helpers/webhookReceiver.js";

const SECRET = "integration-webhook-secret";
const TOKEN = "webhook-api-token";

interface Event {
  type: string;
  id: string;
  room: string;
  recording?: Record<string, unknown>;
  participant?: { name: string };
}

describe("webhooks from a real server", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-hooks-"));
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells the receiver of a room's life and its recording, signed and in order; finished only once the MP4 is indexed", async () => {
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
    });
    cleanup.push(() => server?.close() ?? Promise.resolve());
    const events = () => receiver.received.map((r) => JSON.parse(r.body) as Event);
    const alice = new TestClient({ url: server.url, room: "면접-1", name: "김민수", colour: "red", toneHz: 440 });
    await alice.connect();
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server!.url}/api${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...init.headers },
      });
    const started = (await (
      await api(`/rooms/${encodeURIComponent("면접-1")}/recording/start`, { method: "POST", body: JSON.stringify({ format: "mp4" }) })
    ).json()) as RecordingInfo;
    await new Promise((r) => setTimeout(r, 2500));
    const stopped = (await (
      await api(`/rooms/${encodeURIComponent("면접-1")}/recording/stop`, { method: "POST" })
    ).json()) as RecordingInfo;
    await eventually(() => events().some((e) => e.type === "recording.finished"), 20_000, "recording.finished arrives");
    // When it arrived the file was complete: indexed (no fragments left), and its hash is the file's.
    const path = join(dir, `${started.id}.mp4`);
    const file = readFileSync(path);
    expect(file.toString("latin1")).not.toContain("moof");
    const finished = events().find((e) => e.type === "recording.finished")!.recording!;
    expect(finished).toMatchObject({
      id: started.id,
      format: "mp4",
      file: `${started.id}.mp4`,
      bytes: file.length,
      sha256: createHash("sha256").update(file).digest("hex"),
      reason: "stopped",
      stoppedAt: stopped.stoppedAt,
    });
    expect(finished.durationMs as number).toBeGreaterThan(1500);
    // With PUBLIC_URL, a signed link that serves the file (here the test's server stands at another port).
    const link = new URL(finished.url as string);
    const served = await fetch(`${server.url}${link.pathname}${link.search}`);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("video/mp4");
    expect((await served.arrayBuffer()).byteLength).toBe(file.length);

    await alice.close();
    await eventually(() => events().some((e) => e.type === "room.finished"), 15_000, "room.finished arrives");
    await server.close();
    server = undefined;
    expect(events().map((e) => e.type)).toEqual([
      "room.started",
      "participant.joined",
      "recording.started",
      "recording.finished",
      "participant.left",
      "room.finished",
    ]);
    for (const r of receiver.received) expect(verifyWebhook(SECRET, r.body, r.headers["tessera-signature"] as string)).toBe(true);
    expect(events().every((e) => e.room === "면접-1")).toBe(true);
    expect(events()[1].participant).toMatchObject({ name: "김민수" });
    expect(new Set(events().map((e) => e.id)).size).toBe(6);
  });

  it("a receiver that never answers does not slow the room: media keeps flowing, events are dropped, logged and counted", async () => {
    const receiver = await startWebhookReceiver(() => "hang");
    cleanup.push(() => receiver.close());
    const server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      recordingsDir: dir,
      webhooks: { urls: [receiver.url], secret: SECRET, timeoutMs: 300, retryForMs: 1500 },
    });
    cleanup.push(() => server.close());
    const bob = new TestClient({ url: server.url, room: "hang", name: "Bob", colour: "blue", toneHz: 660 });
    cleanup.push(() => bob.close());
    await bob.connect();
    await eventually(() => receiver.received.length > 0, 5000, "the receiver was asked");
    // Over 3 s of a receiver hanging on every request, the room's mix keeps arriving without a gap.
    const from = bob.frameArrivals.length;
    const audioFrom = bob.audioArrivals.length;
    await new Promise((r) => setTimeout(r, 3000));
    const frames = bob.frameArrivals.slice(from);
    const audio = bob.audioArrivals.slice(audioFrom);
    // Continuity, not speed: a loaded 2-core machine's mix runs at 10 fps at times; no gap is what matters.
    expect(frames.length, "mixed video frames in 3 s").toBeGreaterThan(10);
    expect(audio.length, "mixed audio packets in 3 s").toBeGreaterThan(30);
    const longestGap = (times: number[]) => Math.max(...times.slice(1).map((t, i) => t - times[i]));
    expect(longestGap(frames), "longest gap between mixed frames, ms").toBeLessThan(1000);
    expect(longestGap(audio), "longest gap between mixed audio packets, ms").toBeLessThan(1000);
    // Dropped once their retry time (1.5 s) has run out, and counted on /metrics.
    let metrics = "";
    for (let i = 0; i < 40 && !/tessera_webhook_deliveries_total\{outcome="dropped"\} [1-9]/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 250));
      metrics = await (await fetch(`${server.url}/metrics`)).text();
    }
    expect(metrics).toMatch(/tessera_webhook_deliveries_total\{outcome="dropped"\} [1-9]/);
  });
});
