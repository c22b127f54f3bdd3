// WHIP (RFC 9725) and WHEP over real HTTP with real werift peers: a publisher's tile and tone in the mix a
// page's participant receives, a player's mix in the codec its offer prefers, SFU forwarding, and every
// refusal at its status with the project's error code (bad content type, malformed SDP, unknown session,
// room full, wrong mode, tokens, trickle PATCH, kick, the connect deadline).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mintJoinToken } from "../../src/access/joinToken.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { tonePower } from "../helpers/fixtures.js";
import { loopbackOffer } from "../helpers/loopbackOffer.js";
import { closeTo } from "../helpers/mixedStreamDecoder.js";
import { TestClient } from "../helpers/testClient.js";
import { WhipTestClient } from "../helpers/whipTestClient.js";

const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };
const API = "api-token-for-whip-tests";
const SECRET = "join-secret-for-whip-tests-0123456789";
const TEST_TIMEOUT_MS = 60_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function track<T extends { close(): Promise<unknown> }>(client: T): T {
  cleanups.push(() => client.close());
  return client;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = { "Content-Type": "application/sdp" },
): Promise<{ status: number; headers: Headers; json: { error?: string; message?: string } }> {
  const res = await fetch(url, { method: "POST", headers, body, redirect: "manual" });
  const text = await res.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // an SDP answer
  }
  return { status: res.status, headers: res.headers, json };
}

async function realOffer(): Promise<string> {
  const offer = await loopbackOffer();
  cleanups.push(offer.close);
  return offer.sdp;
}

describe("WHIP and WHEP", () => {
  let server: RunningServer;
  let recordingsDir = "";
  beforeAll(async () => {
    recordingsDir = mkdtempSync(join(tmpdir(), "tessera-whip-"));
    server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        apiToken: API,
        maxSenders: 2,
        connectTimeoutMs: 4000,
        recordingsDir,
        recordingsMinFreeBytes: 0,
      },
      silentLogger,
    );
  });
  afterAll(async () => {
    await server?.close();
    if (recordingsDir) rmSync(recordingsDir, { recursive: true, force: true });
  });

  it(
    "a WHIP publisher is a sender of an MCU room: 201 with the answer, Location and ETag; a participant sees its tile, hears it and sees its name; it is recorded; DELETE leaves",
    async () => {
      const viewer = track(new TestClient({ url: server.url, room: "whip-mcu", name: "Page viewer", role: "viewer" }));
      await viewer.connect();
      const publisher = track(
        await WhipTestClient.publish({
          endpoint: `${server.url}/whip/whip-mcu?name=${encodeURIComponent("인코더 1")}`,
          colour: "red",
          toneHz: 440,
          videoCodecs: ["h264", "vp8"],
        }),
      );
      expect(publisher.status, publisher.answer?.body).toBe(201);
      expect(publisher.answer?.headers.get("content-type")).toMatch(/^application\/sdp/);
      expect(publisher.answer?.headers.get("location")).toMatch(/^\/whip\/whip-mcu\/[\w-]{22}$/);
      expect(publisher.answer?.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
      expect(publisher.answer?.body).toMatch(/^a=recvonly/m);
      await publisher.connect();
      await viewer.waitFor(
        (m) => m.type === "participants" && m.participants.some((p) => p.name === "인코더 1" && p.role === "sender"),
        10_000,
      );
      await eventually(() => closeTo(viewer.decoder.colourAt(640, 360), RED), 20_000, "the publisher's red tile in the mix");
      await eventually(() => tonePower(viewer.recentAudio(1000), 440) > 1000, 20_000, "the publisher's 440 Hz tone in the viewer's mix");
      // A sendonly publisher takes no mix back: its offer puts H264 first, yet only the viewer's VP8 is encoded.
      const room = server.rooms.get("whip-mcu")!;
      expect(room.capabilities.mix?.mediaStats.video.outputCodecs).toEqual(["vp8"]);
      // Recorded like any participant: its tile in the file, its name in the timeline.
      const api = (path: string, method = "POST") =>
        fetch(`${server.url}/api/rooms/whip-mcu/recording/${path}`, { method, headers: { Authorization: `Bearer ${API}` } });
      expect((await api("start")).status).toBe(201);
      await new Promise((r) => setTimeout(r, 1500));
      const stopped = (await (await api("stop")).json()) as { id: string; bytes: number };
      expect(stopped.bytes).toBeGreaterThan(0);
      const timeline = await (
        await fetch(`${server.url}/api/recordings/${stopped.id}/timeline`, { headers: { Authorization: `Bearer ${API}` } })
      ).text();
      expect(timeline).toContain("인코더 1");

      const from = viewer.messages.length;
      expect(await publisher.delete()).toBe(200);
      await viewer.waitFor((m) => m.type === "participants" && m.participants.every((p) => p.name !== "인코더 1"), 10_000, from);
      expect(await publisher.delete(), "a second DELETE finds no session").toBe(404);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a WHEP player gets the mix in the codec its offer prefers and everyone's sound, and counts as a viewer",
    async () => {
      const sender = track(new TestClient({ url: server.url, room: "whep-mcu", name: "Blue", colour: "blue", toneHz: 660 }));
      await sender.connect();
      const vp8 = track(await WhipTestClient.play({ endpoint: `${server.url}/whep/whep-mcu?name=Player` }));
      const h264 = track(await WhipTestClient.play({ endpoint: `${server.url}/whep/whep-mcu`, videoCodecs: ["h264", "vp8"] }));
      expect([vp8.status, h264.status]).toEqual([201, 201]);
      expect(vp8.answer?.body).toMatch(/^a=sendonly/m);
      await Promise.all([vp8.connect(), h264.connect()]);
      await sender.waitFor((m) => m.type === "participants" && m.participants.filter((p) => p.role === "viewer").length === 2, 10_000);
      await eventually(
        () => closeTo(vp8.decoder.colourAt(640, 360), BLUE) && closeTo(h264.decoder.colourAt(640, 360), BLUE),
        20_000,
        "both players decode Blue's tile",
      );
      expect([...vp8.videoPayloadTypes].map((pt) => vp8.codecOf(pt))).toEqual(["video/vp8"]);
      expect([...h264.videoPayloadTypes].map((pt) => h264.codecOf(pt))).toEqual(["video/h264"]);
      await eventually(() => tonePower(vp8.recentAudio(1000), 660) > 1000, 20_000, "the sender's tone in the player's everyone-mix");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "in an SFU room a WHIP publisher is forwarded to the others and is offered nothing; WHEP has no mix to play there",
    async () => {
      const page = track(new TestClient({ url: server.url, room: "whip-sfu", name: "Page", mode: "sfu", colour: "blue" }));
      await page.connect();
      const publisher = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-sfu?name=Encoder`, colour: "red" }));
      expect(publisher.status, publisher.answer?.body).toBe(201);
      await publisher.connect();
      const joined = await page.waitFor((m) => m.type === "participants" && m.participants.some((p) => p.name === "Encoder"), 10_000);
      const id = joined.type === "participants" ? joined.participants.find((p) => p.name === "Encoder")!.id : "";
      await eventually(
        () => closeTo(page.remotes.get(id)?.decoder.colourAt(640, 360), RED),
        20_000,
        "the page receives the publisher's red video",
      );
      // No server offer can reach a WHIP session: its peer keeps the two sections it offered.
      expect(publisher.pc.getTransceivers()).toHaveLength(2);
      expect(publisher.pc.connectionState).toBe("connected");

      const player = await post(`${server.url}/whep/whip-sfu`, await realOffer());
      expect(player.status).toBe(409);
      expect(player.json).toMatchObject({ error: "wrong-mode" });
    },
    TEST_TIMEOUT_MS,
  );

  it("refuses WHIP into a mesh room (409 wrong-mode) without leaving the room open", async () => {
    const res = await post(`${server.url}/whip/whip-mesh?mode=mesh`, await realOffer());
    expect(res.status).toBe(409);
    expect(res.json.error).toBe("wrong-mode");
    await eventually(() => server.rooms.get("whip-mesh") === undefined, 5000, "the empty mesh room closes");
  });

  it("answers malformed requests with the RFC's statuses and the project's error codes", async () => {
    const sdp = await realOffer();
    const endpoint = `${server.url}/whip/whip-errors`;
    const cases: [string, Promise<{ status: number; json: { error?: string } }>, number, string][] = [
      ["no content type", post(endpoint, sdp, {}), 415, "bad-message"],
      ["text/plain", post(endpoint, sdp, { "Content-Type": "text/plain" }), 415, "bad-message"],
      ["not SDP", post(endpoint, "hello, server"), 400, "bad-message"],
      ["SDP without media", post(endpoint, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"), 400, "bad-message"],
      [
        "sections without ICE or DTLS",
        post(
          endpoint,
          "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
        ),
        400,
        "bad-offer",
      ],
      ["audio only", post(endpoint, sdp.replace(/m=video[\s\S]*$/, "")), 422, "no-usable-codec"],
      ["a body over the limit", post(endpoint, `v=0\r\n${"a=x\r\n".repeat(20_000)}`), 413, "too-large"],
      ["a room name with a slash", post(`${server.url}/whip/${encodeURIComponent("a/b")}`, sdp), 400, "bad-join"],
      ["a name too long", post(`${endpoint}?name=${"x".repeat(200)}`, sdp), 400, "bad-join"],
      ["an unknown mode", post(`${endpoint}?mode=p2p`, sdp), 400, "bad-join"],
    ];
    for (const [what, answer, status, code] of cases) {
      const res = await answer;
      expect({ what, status: res.status, error: res.json.error }).toEqual({ what, status, error: code });
    }
    const unknown = `${server.url}/whip/whip-errors/AAAAAAAAAAAAAAAAAAAAAA`;
    const del = await fetch(unknown, { method: "DELETE" });
    expect(del.status).toBe(404);
    expect(await del.json()).toMatchObject({ error: "unknown-participant" });
    const patch = await fetch(unknown, {
      method: "PATCH",
      headers: { "Content-Type": "application/trickle-ice-sdpfrag" },
      body: "a=end-of-candidates\r\n",
    });
    expect(patch.status).toBe(404);
    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    // Nothing was admitted by any of these: no room was left behind.
    await eventually(() => server.rooms.get("whip-errors") === undefined, 5000, "no room left open by refused requests");
  });

  it("answers CORS preflights so a player on another site may POST, PATCH and DELETE", async () => {
    const res = await fetch(`${server.url}/whep/any-room`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://player.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Location/);
    expect(res.headers.get("accept-post")).toBe("application/sdp");
  });

  it(
    "refuses a sender over the room's limit with 409 room-full; a WHEP viewer still gets in",
    async () => {
      const a = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-full?name=A` }));
      const b = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-full?name=B` }));
      expect([a.status, b.status]).toEqual([201, 201]);
      const c = await post(`${server.url}/whip/whip-full?name=C`, await realOffer());
      expect(c.status).toBe(409);
      expect(c.json).toMatchObject({ error: "room-full" });
      const viewer = track(await WhipTestClient.play({ endpoint: `${server.url}/whep/whip-full` }));
      expect(viewer.status).toBe(201);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "takes trickled candidates by PATCH (204) and refuses a wrong type, a stale If-Match and an ICE restart",
    async () => {
      const publisher = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-trickle` }));
      const location = publisher.location!;
      const etag = publisher.answer!.headers.get("etag")!;
      const ufrag = /^a=ice-ufrag:(\S+)/m.exec(publisher.pc.localDescription!.sdp)![1];
      const patch = (body: string, headers: Record<string, string> = {}) =>
        fetch(location, { method: "PATCH", headers: { "Content-Type": "application/trickle-ice-sdpfrag", ...headers }, body }).then(
          async (r) => ({ status: r.status, body: await r.text() }),
        );
      const fragment = [
        `a=ice-ufrag:${ufrag}`,
        "a=ice-pwd:whatever-the-offer-said",
        "m=audio 9 UDP/TLS/RTP/SAVPF 0",
        "a=mid:0",
        "a=candidate:9 1 udp 2130706431 127.0.0.1 9 typ host",
        "a=end-of-candidates",
        "",
      ].join("\r\n");
      expect(await patch(fragment, { "If-Match": etag })).toEqual({ status: 204, body: "" });
      expect((await patch(fragment, { "If-Match": '"stale"' })).status).toBe(412);
      expect((await patch(fragment, { "Content-Type": "application/sdp" })).status).toBe(415);
      expect((await patch(fragment.replace(`a=ice-ufrag:${ufrag}`, "a=ice-ufrag:restart"))).status).toBe(422);
      expect((await patch("not a fragment")).status).toBe(400);
      const badAddress = await patch(fragment.replace("127.0.0.1 9 typ", "999.0.0.1 9 typ"));
      expect([badAddress.status, JSON.parse(badAddress.body).error]).toEqual([400, "bad-candidate"]);
      // The session is unharmed by the refused PATCHes: it connects.
      await publisher.connect();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a kicked WHIP sender's session is gone; a session that never connects is removed at the connect deadline",
    async () => {
      const viewer = track(new TestClient({ url: server.url, room: "whip-kick", name: "Watcher", role: "viewer" }));
      await viewer.connect();
      const publisher = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-kick?name=Kicked` }));
      await publisher.connect();
      const roster = await viewer.waitFor((m) => m.type === "participants" && m.participants.some((p) => p.name === "Kicked"), 10_000);
      const id = roster.type === "participants" ? roster.participants.find((p) => p.name === "Kicked")!.id : "";
      const beforeKick = viewer.messages.length;
      const kick = await fetch(`${server.url}/api/rooms/whip-kick/participants/${id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${API}` },
      });
      expect(kick.status).toBeLessThan(300);
      await viewer.waitFor((m) => m.type === "participants" && m.participants.every((p) => p.name !== "Kicked"), 10_000, beforeKick);
      expect(await publisher.delete()).toBe(404);

      // Offered, answered, never connected: the client went away before ICE. (The roster naming Silent may
      // reach the viewer before the POST's answer does: count from before it.)
      const beforeSilent = viewer.messages.length;
      const silent = await WhipTestClient.publish({ endpoint: `${server.url}/whip/whip-kick?name=Silent` });
      expect(silent.status).toBe(201);
      await silent.pc.close();
      await viewer.waitFor((m) => m.type === "participants" && m.participants.some((p) => p.name === "Silent"), 10_000, beforeSilent);
      const joinedAt = viewer.messages.length;
      await viewer.waitFor((m) => m.type === "participants" && m.participants.every((p) => p.name !== "Silent"), 15_000, joinedAt);
      expect(await silent.delete()).toBe(404);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("WHIP and WHEP with join tokens", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], joinTokenSecret: SECRET }, silentLogger);
  });
  afterAll(async () => {
    await server?.close();
  });
  const token = (o: Partial<Parameters<typeof mintJoinToken>[1]> = {}) =>
    mintJoinToken(SECRET, { room: "tokens", name: "Studio encoder", ...o });

  it("refuses a missing, malformed, foreign-room or wrong-role token with 401 and a WWW-Authenticate challenge", async () => {
    const sdp = await realOffer();
    const cases: [string, string, Record<string, string>][] = [
      ["no token", "whip", {}],
      ["a malformed token", "whip", { Authorization: "Bearer abc.def.ghi" }],
      ["another room's token", "whip", { Authorization: `Bearer ${await token({ room: "elsewhere" })}` }],
      ["a viewer's token to WHIP", "whip", { Authorization: `Bearer ${await token({ role: "viewer" })}` }],
      ["a sender's token to WHEP", "whep", { Authorization: `Bearer ${await token({ role: "sender" })}` }],
    ];
    for (const [what, kind, auth] of cases) {
      const res = await post(`${server.url}/${kind}/tokens`, sdp, { "Content-Type": "application/sdp", ...auth });
      expect({ what, status: res.status, error: res.json.error }).toEqual({ what, status: 401, error: "unauthorized" });
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it(
    "takes the name from a sender's token; a second session of the same identity replaces the first",
    async () => {
      const t = await token({ sub: "encoder-7" });
      const first = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/tokens?name=ignored`, token: t }));
      expect(first.status, first.answer?.body).toBe(201);
      expect(
        server.rooms
          .get("tokens")!
          .list()
          .map((m) => m.name),
      ).toEqual(["Studio encoder"]);
      const second = track(await WhipTestClient.publish({ endpoint: `${server.url}/whip/tokens`, token: t }));
      expect(second.status).toBe(201);
      expect(server.rooms.get("tokens")!.list()).toHaveLength(1);
      expect(await first.delete(), "the replaced session is gone").toBe(404);
      const viewer = track(
        await WhipTestClient.play({ endpoint: `${server.url}/whep/tokens`, token: await token({ role: "viewer", name: "Recorder" }) }),
      );
      expect(viewer.status).toBe(201);
      expect(
        server.rooms
          .get("tokens")!
          .list()
          .map((m) => [m.name, m.role]),
      ).toEqual([
        ["Studio encoder", "sender"],
        ["Recorder", "viewer"],
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("WHIP and WHEP: per-address limit, shutdown, ICE servers", () => {
  it(
    "caps live sessions per client address (429 too-many-connections) and frees a place when one ends",
    async () => {
      const server = await startServer(
        { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], maxConnectionsPerAddress: 2 },
        silentLogger,
      );
      cleanups.push(() => server.close());
      const endpoint = `${server.url}/whep/capped`;
      const first = track(await WhipTestClient.play({ endpoint }));
      const second = track(await WhipTestClient.play({ endpoint }));
      expect([first.status, second.status]).toEqual([201, 201]);
      const third = await post(endpoint, await realOffer());
      expect(third.status).toBe(429);
      expect(third.json.error).toBe("too-many-connections");
      expect(await first.delete()).toBe(200);
      const fourth = track(await WhipTestClient.play({ endpoint }));
      expect(fourth.status).toBe(201);
    },
    TEST_TIMEOUT_MS,
  );

  it("opens no room once the server has begun stopping: 503 node-unavailable with Retry-After", async () => {
    const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, silentLogger);
    cleanups.push(() => server.close());
    // What close() does first, before it closes the rooms: from here a new room would outlive the shutdown.
    server.cluster.drain();
    const answer = await post(`${server.url}/whip/late`, await realOffer());
    expect(answer.status).toBe(503);
    expect(answer.json.error).toBe("node-unavailable");
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(server.rooms.all()).toEqual([]);
  });

  it(
    "hands the configured ICE servers to the client as Link headers (RFC 9725 section 4.6)",
    async () => {
      // Loopback addresses where nothing listens: the server's own gathering sends nothing anywhere else.
      const iceServers = [
        { urls: ["stun:127.0.0.1:9"] },
        { urls: ["turn:127.0.0.1:9?transport=udp"], username: "encoder", credential: 'pa"ss' },
      ];
      const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], iceServers }, silentLogger);
      cleanups.push(() => server.close());
      const player = track(await WhipTestClient.play({ endpoint: `${server.url}/whep/linked` }));
      expect(player.status).toBe(201);
      expect(player.answer?.headers.get("link")).toBe(
        '<stun:127.0.0.1:9>; rel="ice-server", <turn:127.0.0.1:9?transport=udp>; rel="ice-server"; username="encoder"; credential="pa\\"ss"; credential-type="password"',
      );
    },
    TEST_TIMEOUT_MS,
  );
});
