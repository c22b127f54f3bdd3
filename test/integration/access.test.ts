// Who may join, record and download: join tokens over real sockets, the token API and CLI, per-participant
// TURN credentials, the origin check, /metrics access and the page's security headers.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { writeRecording } from "../helpers/recordingFile.js";
import { mintJoinToken, verifyJoinToken } from "../../src/access/joinToken.js";
import { createLogger, silentLogger } from "../../src/log.js";
import { RecordingStore } from "../../src/recordings/recordingStore.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { closedCode, RawSocket } from "../helpers/rawSocket.js";

const SECRET = "join-secret-for-tests-0123456789";
const API = "api-token-for-tests";
const now = () => Math.floor(Date.now() / 1000);

/** A logger whose lines the test reads. */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: "info", destination: { write: (s: string) => void lines.push(JSON.parse(s)) } }) };
}

async function joinWith(url: string, fields: Record<string, unknown>): Promise<RawSocket> {
  const s = await RawSocket.open(url);
  s.ws.send(JSON.stringify({ type: "join", room: "interview-1", name: "Typed name", mode: "mesh", ...fields }));
  return s;
}

describe("join tokens over signaling", () => {
  let server: RunningServer;
  const { log, lines } = capturingLogger();
  const sockets: RawSocket[] = [];
  const token = (o: Partial<Parameters<typeof mintJoinToken>[1]> = {}) => mintJoinToken(SECRET, { room: "interview-1", name: "Ada", ...o });

  beforeAll(async () => {
    server = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], joinTokenSecret: SECRET, apiToken: API },
      log,
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.close();
    await server?.close();
  });

  it("takes room, name and role from the token, whatever the join says", async () => {
    const s = await joinWith(server.url, { role: "sender", token: await token({ name: "Ada Lovelace", role: "viewer" }) });
    sockets.push(s);
    const joined = await s.next("joined");
    expect(joined).toMatchObject({ room: "interview-1", role: "viewer" });
    const roster = (await s.next("participants")) as { participants: { name: string; role: string }[] };
    expect(roster.participants).toEqual([expect.objectContaining({ name: "Ada Lovelace", role: "viewer" })]);
  });

  it.each([
    ["no token", async () => undefined, /needs a join token/],
    ["a malformed token", async () => "abc.def.ghi", /not a well-formed JWT/],
    [
      "an expired token",
      () =>
        new SignJWT({ sub: "x", name: "A", room: "interview-1", role: "sender", record: false, exp: now() - 30 })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(SECRET)),
      /expired/,
    ],
    ["a token not valid yet", () => mintJoinToken(SECRET, { room: "interview-1", name: "A", nbf: now() + 600 }), /not valid yet/],
    [
      "a token signed with another secret",
      () => mintJoinToken("some-other-secret-0123456789", { room: "interview-1", name: "A" }),
      /signature/,
    ],
    ["a token for another room", () => mintJoinToken(SECRET, { room: "board-room", name: "A" }), /another room/],
  ])("refuses %s with a fatal unauthorized, disturbing nobody", async (what, make, message) => {
    const before = lines.length;
    const watcher = sockets[0];
    const t = await make();
    const s = await joinWith(server.url, t === undefined ? {} : { token: t });
    const error = await s.error();
    expect(error.code).toBe("unauthorized");
    expect(error.message).toMatch(message);
    expect(await s.next("bye")).toEqual({ type: "bye", reason: "unauthorized" });
    expect(await closedCode(s)).toBe(1008);
    // Logged once, with the reason and without the token.
    const logged = lines.slice(before).filter((l) => String(l.msg).startsWith("join refused"));
    expect(logged, what).toHaveLength(1);
    expect(typeof logged[0].reason).toBe("string");
    if (t) expect(JSON.stringify(lines.slice(before))).not.toContain(t.split(".")[1] ?? t);
    // Ada, in the room already, heard nothing of it and is still there.
    expect(watcher.messages.filter((m) => m.type === "error" || m.type === "bye")).toEqual([]);
    expect(
      server.rooms
        .get("interview-1")
        ?.list()
        .map((m) => m.name),
    ).toEqual(["Ada Lovelace"]);
  });

  it("lets only a token with record: true start a recording", async () => {
    const s = await joinWith(server.url, { token: await token({ name: "Bob", room: "interview-1" }) });
    sockets.push(s);
    await s.next("joined");
    s.ws.send(JSON.stringify({ type: "record", action: "start" }));
    expect(await s.error()).toMatchObject({ code: "recording-state", message: expect.stringMatching(/record: true/) });
    const r = await joinWith(server.url, { token: await token({ name: "Rita", record: true }) });
    sockets.push(r);
    await r.next("joined");
    r.ws.send(JSON.stringify({ type: "record", action: "start" }));
    // Past the permission check: a mesh room has no recording (an MCU room would start one).
    expect(await r.error()).toMatchObject({ code: "wrong-mode" });
  });

  it("replaces the older socket of the same identity", async () => {
    const first = await joinWith(server.url, {
      token: await token({ name: "Cy", sub: "user-42", room: "interview-2" }),
      room: "interview-2",
    });
    await first.next("joined");
    const second = await joinWith(server.url, {
      token: await token({ name: "Cy", sub: "user-42", room: "interview-2" }),
      room: "interview-2",
    });
    sockets.push(second);
    const joined = await second.next("joined");
    expect(await first.next("bye")).toEqual({ type: "bye", reason: "replaced" });
    expect(await closedCode(first)).toBe(1000);
    const members = server.rooms.get("interview-2")?.list() ?? [];
    expect(members.map((m) => [m.id, m.identity])).toEqual([[(joined as { id: string }).id, "user-42"]]);
  });
});

describe("the server without JOIN_TOKEN_SECRET", () => {
  it("stays open and says so in one warning line at start-up", async () => {
    const { log, lines } = capturingLogger();
    const server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] }, log);
    try {
      expect(lines.filter((l) => l.level === "warn")).toEqual([
        expect.objectContaining({ msg: expect.stringMatching(/JOIN_TOKEN_SECRET is not set/) }),
      ]);
      const s = await joinWith(server.url, {});
      expect(await s.next("joined")).toMatchObject({ room: "interview-1" });
      s.ws.close();
    } finally {
      await server.close();
    }
  });
});

describe("POST /api/tokens and npm run token", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        joinTokenSecret: SECRET,
        apiToken: API,
        publicUrl: "https://meet.example.com",
      },
      silentLogger,
    );
  });
  afterAll(() => server?.close());
  const post = (body: unknown, auth: string | null = API) =>
    fetch(`${server.url}/api/tokens`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(body),
    });

  it("mints a token and its join link", async () => {
    const res = await post({ room: "interview-1", name: "Vera", role: "viewer", record: true, ttlSeconds: 120 });
    expect(res.status).toBe(201);
    const { token, url } = (await res.json()) as { token: string; url: string };
    const check = await verifyJoinToken(SECRET, token, "interview-1");
    expect(check).toMatchObject({ ok: true, grant: { name: "Vera", role: "viewer", record: true } });
    if (check.ok) expect(check.grant.exp - now()).toBeLessThanOrEqual(120);
    const link = new URL(url);
    expect(link.origin).toBe("https://meet.example.com");
    expect(Object.fromEntries(link.searchParams)).toEqual({ room: "interview-1", name: "Vera", role: "viewer", token });
  });

  it("refuses without the API token, and bad bodies with their problem", async () => {
    expect((await post({ room: "r", name: "A" }, null)).status).toBe(401);
    expect((await post({ room: "r", name: "A" }, "wrong")).status).toBe(401);
    const bad = await post({ room: "../x", name: "A", role: "admin" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "bad-request", message: expect.stringMatching(/room.*role|role.*room/s) });
    expect((await post({ room: "r", name: "A", ttlSeconds: 10 ** 9 })).status).toBe(400);
  });

  it("answers 409 when tokens are off", async () => {
    const open = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: API }, silentLogger);
    try {
      const res = await fetch(`${open.url}/api/tokens`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${API}` },
        body: "{}",
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: "tokens-disabled" });
    } finally {
      await open.close();
    }
  });

  it("the CLI prints the same, and refuses without a secret", async () => {
    const run = promisify(execFile);
    const env = { ...process.env, JOIN_TOKEN_SECRET: SECRET, PUBLIC_URL: "https://meet.example.com" };
    const { stdout } = await run("npm", ["run", "-s", "token", "--", "--room", "interview-1", "--name", "Dee", "--viewer", "--record"], {
      env,
    });
    const { token, url } = JSON.parse(stdout) as { token: string; url: string };
    expect(await verifyJoinToken(SECRET, token, "interview-1")).toMatchObject({
      ok: true,
      grant: { name: "Dee", role: "viewer", record: true },
    });
    expect(url).toBe(`https://meet.example.com/?room=interview-1&name=Dee&role=viewer&token=${token}`);
    // A token the CLI minted joins the running server that shares the secret.
    const s = await joinWith(server.url, { token });
    expect(await s.next("joined")).toMatchObject({ role: "viewer" });
    s.ws.close();
    const noSecret = { ...process.env, JOIN_TOKEN_SECRET: "" };
    await expect(run("npm", ["run", "-s", "token", "--", "--room", "r", "--name", "A"], { env: noSecret })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/JOIN_TOKEN_SECRET is not set/),
    });
    await expect(run("npm", ["run", "-s", "token", "--", "--name", "A"], { env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--room is required/),
    });
  }, 30_000);
});

describe("TURN REST credentials in joined", () => {
  it("gives each participant their own expiring pair for turn: URLs, and the static pair without TURN_SECRET", async () => {
    const iceServers = [
      { urls: ["stun:stun.example.com:3478"] },
      { urls: ["turn:turn.example.com:3478", "turns:turn.example.com:443"], username: "static", credential: "shared" },
    ];
    const server = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], iceServers, turnSecret: "turn-secret", turnCredentialTtlS: 600 },
      silentLogger,
    );
    const open = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], iceServers }, silentLogger);
    try {
      const a = await joinWith(server.url, { name: "A" });
      const b = await joinWith(server.url, { name: "B" });
      const ja = (await a.next("joined")) as { id: string; iceServers: { urls: string[]; username?: string; credential?: string }[] };
      const jb = (await b.next("joined")) as typeof ja;
      expect(ja.iceServers[0]).toEqual(iceServers[0]);
      const [expiry, who] = ja.iceServers[1].username!.split(":");
      expect(who).toBe(ja.id);
      expect(Number(expiry) - now()).toBeGreaterThan(590);
      expect(Number(expiry) - now()).toBeLessThanOrEqual(600);
      expect(ja.iceServers[1].credential).not.toBe("shared");
      expect(jb.iceServers[1].credential).not.toBe(ja.iceServers[1].credential);
      const c = await joinWith(open.url, { name: "C" });
      expect(((await c.next("joined")) as typeof ja).iceServers).toEqual(iceServers);
      for (const s of [a, b, c]) s.ws.close();
    } finally {
      await server.close();
      await open.close();
    }
  });
});

/** Opens /ws with an Origin header; resolves with the HTTP status of a refused upgrade, or 101. */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws", origin ? { origin } : {});
    ws.once("open", () => (ws.close(), resolve(101)));
    ws.once("unexpected-response", (_req, res) => (resolve(res.statusCode ?? 0), res.resume()));
    ws.once("error", (e) => reject(e));
  });
}

describe("hardening", () => {
  let server: RunningServer;
  const { log, lines } = capturingLogger();
  beforeAll(async () => {
    server = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: API, allowedOrigins: ["https://app.example.com"] },
      log,
    );
  });
  afterAll(() => server?.close());

  it("refuses a WebSocket from another site's page with 403 at the upgrade", async () => {
    const own = new URL(server.url).origin;
    expect(await upgradeStatus(server.url, "https://evil.example")).toBe(403);
    expect(await upgradeStatus(server.url, "null")).toBe(403);
    expect(lines.filter((l) => String(l.msg).includes("origin not allowed"))).toHaveLength(2);
    expect(await upgradeStatus(server.url, own)).toBe(101);
    expect(await upgradeStatus(server.url, `http://localhost:${server.port}`)).toBe(101);
    expect(await upgradeStatus(server.url, "https://app.example.com")).toBe(101);
    // Programs send no Origin at all.
    expect(await upgradeStatus(server.url, undefined)).toBe(101);
  });

  it("serves /metrics to a local scraper or the API token only", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    // Through a proxy on this host (X-Forwarded-For), a visitor is not local.
    const proxied = await fetch(`${server.url}/metrics`, { headers: { "X-Forwarded-For": "203.0.113.9" } });
    expect(proxied.status).toBe(401);
    expect(await proxied.text()).not.toMatch(/tessera_/);
    expect(
      (await fetch(`${server.url}/metrics`, { headers: { "X-Forwarded-For": "203.0.113.9", Authorization: `Bearer ${API}` } })).status,
    ).toBe(200);
  });

  it("with METRICS_PORT, serves /metrics on that listener only", async () => {
    const m = await startServer(
      { port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], metricsPort: 0, metricsHost: "127.0.0.1" },
      silentLogger,
    );
    try {
      expect((await fetch(`${m.url}/metrics`)).status).toBe(404);
      const res = await fetch(`${m.metricsUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^tessera_rooms\{mode="mcu"\} 0$/m);
      expect((await fetch(`${m.metricsUrl}/`)).status).toBe(404);
    } finally {
      await m.close();
    }
  });

  it("sends the page with CSP, frame-ancestors, X-Frame-Options, Referrer-Policy and nosniff", async () => {
    for (const path of ["/", "/client.js", "/style.css"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("signed recording links", () => {
  let server: RunningServer;
  let dir: string;
  let id: string;
  let file: Buffer;
  const ROOM = "Café-1";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tessera-links-"));
    const files = new RecordingStore(dir).allocate(new Date("2026-01-01T12:00:00Z"));
    id = files.id;
    writeRecording(files.mediaPath, 2);
    writeFileSync(
      files.timelinePath,
      `${JSON.stringify({ kind: "start", t: 0, at: "2026-01-01T12:00:00.000Z", recording: id, room: ROOM, output: {}, participants: [] })}\n`,
    );
    file = readFileSync(files.mediaPath);
    server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        apiToken: API,
        joinTokenSecret: SECRET,
        linkSecret: "link-secret-0123456789",
        recordingLinkTtlS: 60,
        recordingsDir: dir,
      },
      silentLogger,
    );
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const linkWith = (bearer?: string) =>
    fetch(`${server.url}/api/recordings/${id}/url`, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });

  it("hands out a link with the API token that serves the file with no header: 200, 206, filename", async () => {
    const res = await linkWith(API);
    expect(res.status).toBe(200);
    const { url, expiresAt } = (await res.json()) as { url: string; expiresAt: string };
    expect(new Date(expiresAt).getTime() - Date.now()).toBeGreaterThan(50_000);
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/webm");
    expect(whole.headers.get("content-disposition")).toBe(
      `attachment; filename="Caf_-1-2026-01-01T12-00-00Z.webm"; filename*=UTF-8''Caf%C3%A9-1-2026-01-01T12-00-00Z.webm`,
    );
    expect(Buffer.from(await whole.arrayBuffer()).equals(file)).toBe(true);
    const part = await fetch(url, { headers: { Range: "bytes=100-199" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${file.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 200))).toBe(true);
  });

  it("answers 403 to an altered or expired link", async () => {
    const { url } = (await (await linkWith(API)).json()) as { url: string };
    const u = new URL(url);
    const sig = u.searchParams.get("signature")!;
    const altered = new URL(url);
    altered.searchParams.set("signature", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
    expect((await fetch(altered)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600));
    expect((await fetch(later)).status).toBe(403);
    const otherId = new URL(
      url.replace(
        id,
        id.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      ),
    );
    expect((await fetch(otherId)).status).toBe(403);
    const bare = new URL(url);
    bare.search = "";
    expect((await fetch(bare)).status).toBe(403);
    // Expired: signed by a server with a 10-second lifetime, read after it.
    const shortLived = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        apiToken: API,
        linkSecret: "link-secret-0123456789",
        recordingLinkTtlS: 10,
        recordingsDir: dir,
      },
      silentLogger,
    );
    try {
      const short = new URL(
        (
          (await (await fetch(`${shortLived.url}/api/recordings/${id}/url`, { headers: { Authorization: `Bearer ${API}` } })).json()) as {
            url: string;
          }
        ).url,
      );
      // The same LINK_SECRET: the other server honours it while it lasts...
      expect((await fetch(`${server.url}${short.pathname}${short.search}`)).status).toBe(200);
      // ...and the link names its own expiry, which a real clock would reach: a signed past expiry is refused.
      const { RecordingLinks } = await import("../../src/access/recordingLinks.js");
      const past = new RecordingLinks("link-secret-0123456789", 10).sign(id, Date.now() - 60_000).query;
      const expired = await fetch(`${server.url}/api/recordings/${id}/download?${past}`);
      expect(expired.status).toBe(403);
      expect(await expired.json()).toMatchObject({ error: "link-expired" });
    } finally {
      await shortLived.close();
    }
  });

  it("hands out links to a join token with record, for its own room only", async () => {
    expect((await linkWith()).status).toBe(401);
    expect((await linkWith("nonsense")).status).toBe(401);
    expect((await linkWith(await mintJoinToken(SECRET, { room: ROOM.replace("é", "e"), name: "A", record: true }))).status).toBe(403);
    expect((await linkWith(await mintJoinToken(SECRET, { room: "Cafe-1", name: "A", record: false }))).status).toBe(403);
  });
});
