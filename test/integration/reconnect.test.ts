import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerMessage } from "../../protocol/messages.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { closeTo } from "../helpers/mixedStreamDecoder.js";
import { TestClient } from "../helpers/testClient.js";

// A participant whose connection drops (the socket cut without a close frame, as a crashed tab or a lost
// network) comes back with the resume key from `joined`: same id, same tile, fresh werift peer, real media.

const TOKEN = "reconnect-test-token";
const RED = { r: 255, g: 0, b: 0 };
const GREEN = { r: 0, g: 128, b: 0 };

const rosterIds = (m: ServerMessage) => (m.type === "participants" ? m.participants.map((p) => p.id) : []);

describe("reconnecting as the same participant", () => {
  let server: RunningServer;
  let dir: string;
  const clients: TestClient[] = [];
  const client = (options: ConstructorParameters<typeof TestClient>[0]) => {
    const c = new TestClient(options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-reconnect-"));
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      recordingsDir: dir,
      reconnectGraceMs: 15_000,
      apiToken: TOKEN,
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    expect(server.processes.size).toBe(0);
  });

  it("MCU: keeps a dropped sender's tile, takes them back on a new socket with their resume key, and the timeline shows the gap", async () => {
    const alice = client({ url: server.url, room: "back", name: "Alice", colour: "red", toneHz: 440 });
    const bob = client({ url: server.url, room: "back", name: "Bob", colour: "green", toneHz: 660 });
    await alice.connect();
    await bob.connect();
    expect(alice.resumeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Two tiles side by side: Alice (joined first) on the left.
    await eventually(
      () => closeTo(bob.decoder.colourAt(320, 360), RED) && closeTo(bob.decoder.colourAt(960, 360), GREEN),
      15_000,
      "Bob sees both tiles",
    );
    const room = server.rooms.get("back")!;
    const recording = await room.capabilities.recording!.startRecording("api");

    await alice.drop();
    const dropAt = bob.messages.length;
    // Alice's tile stays, drawn as her name card (dark) once her picture is stale; Bob's stays green.
    await eventually(
      () => {
        const c = bob.decoder.colourAt(320, 360);
        return c !== undefined && !closeTo(c, RED) && c.r < 120;
      },
      10_000,
      "Alice's tile turns into her name card",
    );
    expect(closeTo(bob.decoder.colourAt(960, 360), GREEN)).toBe(true);
    expect(room.list().map((m) => m.id)).toEqual([alice.id, bob.id]);
    const detail = async () =>
      (
        (await (await fetch(`${server.url}/api/rooms/back`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as {
          participants: { id: string; connected: boolean }[];
        }
      ).participants;
    // Operators see who is held for a reconnect.
    expect(await detail()).toEqual([
      expect.objectContaining({ id: alice.id, connected: false }),
      expect.objectContaining({ id: bob.id, connected: true }),
    ]);

    const again = client({ url: server.url, room: "back", name: "Alice", colour: "red", toneHz: 440, resume: alice.resumeKey });
    await again.connect();
    expect(again.id).toBe(alice.id);
    expect(again.resumeKey).toBe(alice.resumeKey);
    // The same tile (left), live again, from the new peer connection.
    await eventually(() => closeTo(bob.decoder.colourAt(320, 360), RED), 15_000, "Alice's picture is back in her tile");
    await eventually(() => closeTo(again.decoder.colourAt(960, 360), GREEN), 15_000, "Alice receives the mix again");
    expect(again.messages.some((m) => m.type === "tile")).toBe(true);
    // Nobody saw Alice leave.
    for (const m of bob.messages.slice(dropAt)) if (m.type === "participants") expect(rosterIds(m)).toContain(alice.id);
    expect(room.list().map((m) => m.id)).toEqual([alice.id, bob.id]);
    expect((await detail()).map((p) => p.connected)).toEqual([true, true]);

    await room.capabilities.recording!.stopRecording("api");
    const lines = readFileSync(join(dir, `${recording.id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; participant?: unknown; afterMs?: number; t: number });
    const gap = lines.filter((l) => l.kind === "disconnect" || l.kind === "reconnect");
    expect(gap.map((l) => l.kind)).toEqual(["disconnect", "reconnect"]);
    expect(gap[0]).toMatchObject({ participant: { id: alice.id, name: "Alice" } });
    expect(gap[1]).toMatchObject({ participant: { id: alice.id, name: "Alice" } });
    expect(gap[1].afterMs).toBeGreaterThan(0);
    expect(lines.some((l) => l.kind === "leave" || l.kind === "join")).toBe(false);
  });

  it("MCU: a dropped participant who does not come back leaves when the grace period is over", async () => {
    const short = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      recordingsDir: dir,
      reconnectGraceMs: 1500,
    });
    try {
      const carol = new TestClient({ url: short.url, room: "gone", name: "Carol", role: "viewer" });
      const dan = new TestClient({ url: short.url, room: "gone", name: "Dan", role: "viewer" });
      await carol.connect();
      await dan.connect();
      const droppedAt = performance.now();
      await carol.drop();
      await new Promise((r) => setTimeout(r, 1000));
      expect(
        short.rooms
          .get("gone")!
          .list()
          .map((m) => m.name),
      ).toEqual(["Carol", "Dan"]);
      await dan.waitFor((m) => m.type === "participants" && !rosterIds(m).includes(carol.id), 10_000);
      expect(performance.now() - droppedAt).toBeGreaterThan(1400);
      // Too late: the key is forgotten, and the join is an ordinary one.
      const late = new TestClient({ url: short.url, room: "gone", name: "Carol", role: "viewer", resume: carol.resumeKey });
      await late.connect();
      expect(late.id).not.toBe(carol.id);
      await Promise.all([dan.close(), late.close()]);
    } finally {
      await short.close();
    }
  });

  it("SFU: the others keep receiving a resumed sender on the same stream, without a renegotiation", async () => {
    const alice = client({ url: server.url, room: "sfu-back", name: "Alice", colour: "red", toneHz: 440, mode: "sfu" });
    const bob = client({ url: server.url, room: "sfu-back", name: "Bob", colour: "green", toneHz: 660, mode: "sfu" });
    await alice.connect();
    await bob.connect();
    await eventually(() => closeTo(bob.remotes.get(alice.id)?.decoder.colourAt(160, 120, 320, 240), RED), 15_000, "Bob sees Alice");
    const offersToBob = bob.answeredOffers;

    await alice.drop();
    await new Promise((r) => setTimeout(r, 500));
    const framesBefore = bob.remotes.get(alice.id)!.decoder.framesDecoded;
    const again = client({
      url: server.url,
      room: "sfu-back",
      name: "Alice",
      colour: "red",
      toneHz: 440,
      mode: "sfu",
      resume: alice.resumeKey,
    });
    await again.connect();
    expect(again.id).toBe(alice.id);
    // Alice's new peer gets Bob's stream (a server offer to her), and Bob's existing track for Alice carries her again.
    await eventually(() => closeTo(again.remotes.get(bob.id)?.decoder.colourAt(160, 120, 320, 240), GREEN), 15_000, "Alice sees Bob again");
    await eventually(() => bob.remotes.get(alice.id)!.decoder.framesDecoded > framesBefore + 20, 15_000, "Bob decodes Alice's new stream");
    expect(closeTo(bob.remotes.get(alice.id)?.decoder.colourAt(160, 120, 320, 240), RED)).toBe(true);
    expect(bob.answeredOffers).toBe(offersToBob);
    expect(bob.remotes.size).toBe(1);
  });
});
