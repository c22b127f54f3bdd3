import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { KICK_REASON } from "../../src/http/api/roomRoutes.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import type { ServerMessage } from "../../protocol/messages.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";
import { readServerMessage } from "../helpers/serverMessage.js";

const TOKEN = "test-token-7f3a";

interface RoomDetail {
  name: string;
  mode: string;
  layout: { layout: string; pin?: string } | null;
  recording: unknown;
  participants: { id: string; name: string; role: string; audioMuted: boolean; videoMuted: boolean; joinedAt: string }[];
}

describe("control API: rooms and kick", () => {
  let server: RunningServer;
  let disabled: RunningServer;
  const clients: TestClient[] = [];
  const sockets: WebSocket[] = [];
  let startedAt: number;

  const api = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    fetch(`${server.url}/api${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers } });
  const json = async (path: string) => {
    const res = await api(path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    startedAt = Date.now();
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN }, silentLogger);
    disabled = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: undefined }, silentLogger);
    const a = new TestClient({ url: server.url, room: "ops", name: "Ada", colour: "red", toneHz: 440 });
    const b = new TestClient({ url: server.url, room: "ops", name: "Bob", colour: "green", toneHz: 660 });
    const v = new TestClient({ url: server.url, room: "ops", name: "Vic", role: "viewer" });
    clients.push(a, b, v);
    for (const c of clients) await c.connect();
    // A mesh room beside it: the server relays only, so a bare signaling socket is a full member.
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/ws");
    sockets.push(ws);
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    const joined = new Promise((resolve) => ws.once("message", resolve));
    ws.send(JSON.stringify({ type: "join", room: "side", name: "Mel", mode: "mesh" }));
    await joined;
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    await disabled?.close();
    expect(server.processes.size).toBe(0);
  });

  it("is off (403, saying how to turn it on) when API_TOKEN is not set", async () => {
    const res = await fetch(`${disabled.url}/api/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "api-disabled", message: expect.stringContaining("API_TOKEN") });
  });

  it("answers 401 to a missing or wrong token, and never reveals a room", async () => {
    const none = await api("/rooms", {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: "unauthorized", message: expect.stringContaining("Authorization") });
    const wrong = await api("/rooms/ops", {}, "not-the-token");
    expect(wrong.status).toBe(401);
    const body = (await wrong.json()) as { error: string; message: string };
    expect(body.error).toBe("unauthorized");
    expect(JSON.stringify(body)).not.toContain("Ada");
    // Also for a request that would otherwise be refused for its body: auth comes first.
    const kick = await api("/rooms/ops/participants/whoever", { method: "DELETE" }, "nope");
    expect(kick.status).toBe(401);
  });

  it("lists every room with its mode, head count and recording state", async () => {
    const { status, body } = await json("/rooms");
    expect(status).toBe(200);
    const rooms = body.rooms as { name: string; mode: string; participants: number; senders: number; recording: boolean }[];
    expect(rooms).toEqual([
      { name: "ops", mode: "mcu", participants: 3, senders: 2, recording: false },
      { name: "side", mode: "mesh", participants: 1, senders: 1, recording: false },
    ]);
  });

  it("describes one room: mode, layout, recording and each participant's role, mutes and join time", async () => {
    const [ada, bob, vic] = clients;
    bob.send({ type: "mute", audio: true });
    await eventually(
      () =>
        server.rooms
          .get("ops")
          ?.list()
          .find((m) => m.id === bob.id)?.audioMuted === true,
      5000,
      "Bob's mute to reach the room",
    );
    const { status, body } = await json("/rooms/ops");
    expect(status).toBe(200);
    const room = body as unknown as RoomDetail;
    expect(room).toMatchObject({ name: "ops", mode: "mcu", layout: { layout: "grid" }, recording: null });
    const byName = new Map(room.participants.map((p) => [p.name, p]));
    expect(byName.get("Ada")).toMatchObject({ id: ada.id, role: "sender", audioMuted: false, videoMuted: false });
    expect(byName.get("Bob")).toMatchObject({ id: bob.id, role: "sender", audioMuted: true, videoMuted: false });
    expect(byName.get("Vic")).toMatchObject({ id: vic.id, role: "viewer" });
    for (const p of room.participants) {
      const joined = Date.parse(p.joinedAt);
      expect(joined).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(joined).toBeLessThanOrEqual(Date.now());
    }
    const mesh = (await json("/rooms/side")).body as unknown as RoomDetail;
    expect(mesh).toMatchObject({ mode: "mesh", layout: null, recording: null });
  });

  it("answers 404 for unknown rooms, participants and endpoints, and 400 for malformed names and JSON", async () => {
    expect((await json("/rooms/nowhere")).body).toMatchObject({ error: "unknown-room", message: expect.stringContaining("nowhere") });
    expect((await json("/rooms/nowhere")).status).toBe(404);
    const ghost = await api("/rooms/ops/participants/ghost123", { method: "DELETE" });
    expect(ghost.status).toBe(404);
    expect(await ghost.json()).toMatchObject({ error: "unknown-participant", message: expect.stringContaining("ghost123") });
    const noRoom = await api("/rooms/nowhere/participants/ghost123", { method: "DELETE" });
    expect(noRoom.status).toBe(404);
    expect(await noRoom.json()).toMatchObject({ error: "unknown-room" });

    const badRoom = await json(`/rooms/${encodeURIComponent("../etc")}`);
    expect(badRoom.status).toBe(400);
    expect(badRoom.body).toMatchObject({ error: "bad-request", message: expect.stringContaining("room") });
    const badId = await api(`/rooms/ops/participants/${encodeURIComponent("a b;c")}`, { method: "DELETE" });
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: "bad-request", message: expect.stringContaining("participant id") });

    // The body parser runs before any route, so malformed JSON is refused whichever endpoint it is sent to.
    const badJson = await api("/rooms/ops/layout", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"layout": "grid"',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ error: "bad-json", message: "request body is not valid JSON" });
    const tooBig = await api("/rooms/ops/layout", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ x: "y".repeat(20_000) }),
    });
    expect(tooBig.status).toBe(413);

    const unknown = await api("/rooms/ops/teleport", { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: "not-found", message: expect.stringContaining("/api/rooms/ops/teleport") });
    // Nothing above disturbed the room.
    expect(server.rooms.get("ops")?.list()).toHaveLength(3);
  });

  it("kicks one participant: they get a bye saying so and their socket closes; the others stay and keep receiving", async () => {
    const [ada, bob, vic] = clients;
    const from = ada.messages.length;
    const res = await api(`/rooms/ops/participants/${bob.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    const bye = (await bob.waitFor((m) => m.type === "bye", 5000)) as Extract<ServerMessage, { type: "bye" }>;
    expect(bye.reason).toBe(KICK_REASON);
    // One of the protocol's bye reasons, which the page turns into words (client/serverErrors.ts).
    expect(bye.reason).toBe("kicked");
    await eventually(() => !bob.socketOpen, 5000, "the kicked participant's socket to close");

    const names = (m: ServerMessage) =>
      m.type === "participants"
        ? m.participants
            .map((p) => p.name)
            .sort()
            .join(",")
        : "";
    await ada.waitFor((m) => names(m) === "Ada,Vic", 5000, from);
    expect(ada.socketOpen && vic.socketOpen).toBe(true);
    // Still receiving (a disturbed stream would stall); a busy machine may decode fewer than 30 a second.
    const before = vic.decoder.framesDecoded;
    await new Promise((r) => setTimeout(r, 2000));
    expect(vic.decoder.framesDecoded - before).toBeGreaterThanOrEqual(10);

    const after = (await json("/rooms/ops")).body as unknown as RoomDetail;
    expect(after.participants.map((p) => p.name).sort()).toEqual(["Ada", "Vic"]);
    const again = await api(`/rooms/ops/participants/${bob.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  it("kicks from a mesh room too; removing the last participant closes the room", async () => {
    const mel = sockets[0];
    const messages: ServerMessage[] = [];
    mel.on("message", (d) => messages.push(readServerMessage(d)));
    const closed = new Promise<number>((resolve) => mel.once("close", (code) => resolve(code)));
    const id = server.rooms.get("side")!.list()[0].id;
    expect((await api(`/rooms/side/participants/${id}`, { method: "DELETE" })).status).toBe(204);
    expect(await closed).toBe(1000);
    expect(messages).toContainEqual({ type: "bye", reason: KICK_REASON });
    expect((await json("/rooms/side")).status).toBe(404);
    expect(((await json("/rooms")).body.rooms as { name: string }[]).map((r) => r.name)).toEqual(["ops"]);
  });
});
