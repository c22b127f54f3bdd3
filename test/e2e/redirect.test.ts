// End-to-end for the cluster's redirect: real Chromium opens the page on node A for a room that lives on
// node B (two servers sharing a real redis-server, started with only what docs/scaling.md asks for:
// REDIS_URL, NODE_URL, the same API_TOKEN); the page must move its socket to B by itself, join there, and
// play B's mix. The nodes have names of their own (node-a.tessera.test, node-b.tessera.test, loopback in
// the browser), so neither A's CSP nor B's origin check can pass the page as loopback or same-host.

import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { RedisLink } from "../../src/cluster/redisLink.js";
import { roomKey } from "../../src/cluster/keys.js";
import { configFromEnv } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { freePort } from "../helpers/freePort.js";
import { startRedis, type RedisServer } from "../helpers/redisServer.js";

/** What the handshake of a page from `origin` to `server`'s /ws gets: 101 (open) or the refusal's status. */
async function handshake(server: RunningServer, origin: string): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { origin });
  try {
    return await new Promise<number>((resolve, reject) => {
      ws.once("open", () => resolve(101));
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("error", reject);
    });
  } finally {
    ws.terminate();
  }
}

/** Fetches `url` and returns its connect-src sources. */
async function connectSources(url: string): Promise<string[]> {
  const csp = (await fetch(url)).headers.get("content-security-policy") ?? "";
  return (
    csp
      .split("; ")
      .find((d) => d.startsWith("connect-src "))
      ?.split(" ")
      .slice(1) ?? []
  );
}

describeWithChromium("cluster redirect in the browser", () => {
  const pool = new BrowserPool();
  let redis: RedisServer;
  let raw: RedisLink;
  const servers: RunningServer[] = [];
  const ids = ["node-a", "node-b"];
  const names = ids.map((id) => `${id}.tessera.test`);
  const ports: number[] = [];
  const origins: string[] = [];
  const sockets = () => origins.map((o) => o.replace("http", "ws"));
  /** Node `i` as an operator starts it: docs/scaling.md's settings and nothing else of the cluster's (no ALLOWED_ORIGINS). */
  const startNode = async (i: number) => {
    // HOST and ICE_HOST_ADDRESSES keep the test on loopback.
    const env = {
      PORT: String(ports[i]),
      HOST: "127.0.0.1",
      ICE_HOST_ADDRESSES: "127.0.0.1",
      REDIS_URL: redis.url,
      NODE_URL: origins[i],
      NODE_ID: ids[i],
      API_TOKEN: "cluster-api-token",
    };
    servers[i] = await startServer(configFromEnv(env), silentLogger);
  };
  /** The mix plays in the page: decoded, and frames keep coming (counted twice, 1.5 s apart). */
  const expectPicture = async (tp: TestPage) => {
    const frames = () =>
      tp.page.evaluate(() => document.querySelector<HTMLVideoElement>("video#mixed")?.getVideoPlaybackQuality().totalVideoFrames ?? 0);
    const playing = await tp.page
      .waitForFunction(() => (document.querySelector<HTMLVideoElement>("video#mixed")?.videoWidth ?? 0) > 0, null, { timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    expect(playing, `the mix from node B should play: ${await describePage(tp)}`).toBe(true);
    const before = await frames();
    await tp.page.waitForTimeout(1500);
    expect(await frames(), "the mix keeps arriving").toBeGreaterThan(before);
  };

  beforeAll(async () => {
    redis = await startRedis();
    raw = await RedisLink.create(redis.url, silentLogger);
    await raw.open();
    ports.push(await freePort(), await freePort());
    origins.push(...ports.map((port, i) => `http://${names[i]}:${port}`));
    await startNode(0);
    await pool.launch([], { loopbackHosts: names, secureOrigins: origins });
  }, 60_000);

  afterAll(async () => {
    await pool.closeAll();
    await Promise.all(servers.map((s) => s.close()));
    await raw?.close();
    await redis?.stop();
  });

  it("a page served before the room's node started loads itself again and reaches it", async () => {
    // The pre-join form, served by A while A is the whole cluster: its policy cannot name B.
    const tp = await pool.openPage(pool.browsers[0], "early");
    const response = await tp.page.goto(new URL("/?room=moved", origins[0]).toString());
    expect(response?.headers()["content-security-policy"]).not.toContain(sockets()[1]);
    await startNode(1);
    expect(await raw.command(["SET", roomKey("moved"), "node-b", "PX", "60000"])).toBe("OK");
    await tp.page.fill("#name-input", "Early");
    await tp.page.click("#join");
    await waitConnected(tp);
    // Joined from a page A served again, with the name in its address (no second trip through the form).
    expect(new URL(tp.page.url()).searchParams.get("name")).toBe("Early");
    expect(servers[0].rooms.get("moved"), "node A must not open the room").toBeUndefined();
    expect(
      servers[1].rooms
        .get("moved")
        ?.list()
        .map((m) => m.name),
    ).toEqual(["Early"]);
    await expectPicture(tp);
    if (process.env.PAGE_SCREENSHOT) await tp.page.screenshot({ path: process.env.PAGE_SCREENSHOT, fullPage: true });
    await tp.context.close();
  }, 90_000);

  it("follows the redirect to the room's node and plays the mix from there", async () => {
    const [a, b] = servers;
    // A's pages may open sockets to every live node of the cluster: B's, learnt from the directory.
    // (at A's next heartbeat after B registered, 2 s at most; B's placement read has usually taught it sooner)
    const deadline = Date.now() + 10_000;
    while (!(await connectSources(a.url)).includes(sockets()[1]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await connectSources(a.url)).toEqual(expect.arrayContaining(["'self'", ...sockets()]));
    expect(await connectSources(b.url)).toEqual(expect.arrayContaining(["'self'", ...sockets()]));
    expect(await raw.command(["SET", roomKey("later"), "node-b", "PX", "60000"])).toBe("OK");
    const tp = await pool.openPage(pool.browsers[0], "page");
    await tp.page.goto(new URL("/?room=later&name=Page", origins[0]).toString());
    // Set on this document: a reload would lose it.
    await tp.page.evaluate(() => ((window as unknown as { firstLoad: boolean }).firstLoad = true));
    await waitConnected(tp);
    expect(
      await tp.page.evaluate(() => (window as unknown as { firstLoad?: boolean }).firstLoad),
      "no reload when the policy names the node",
    ).toBe(true);
    expect(a.rooms.get("later"), "node A must not open the room").toBeUndefined();
    expect(
      b.rooms
        .get("later")
        ?.list()
        .map((m) => m.name),
    ).toEqual(["Page"]);
    await expectPicture(tp);
    await tp.context.close();
  }, 90_000);

  it("admits the pages of live nodes only: a stranger is refused, and a node's page once the node is gone", async () => {
    const [a, b] = servers;
    expect(await handshake(b, origins[0])).toBe(101);
    expect(await handshake(a, origins[1])).toBe(101);
    expect(await handshake(b, "http://node-c.tessera.test:8080")).toBe(403);
    await a.close();
    // A deleted its record as it stopped; B's view follows at its next heartbeat (2 s).
    let status = 0;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (status = await handshake(b, origins[0])) !== 403) await new Promise((r) => setTimeout(r, 250));
    expect(status, "B still admits the page of a node that has left").toBe(403);
    expect(await connectSources(b.url)).not.toContain(sockets()[0]);
  }, 30_000);
});
