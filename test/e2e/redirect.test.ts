// End-to-end for the cluster's redirect: real Chromium opens the page on node A for a room that lives on
// node B (two servers sharing a real redis-server); the page must move its socket to B by itself, join
// there, and play B's mix.

import { afterAll, beforeAll, expect, it } from "vitest";
import { RedisLink } from "../../src/cluster/redisLink.js";
import { roomKey } from "../../src/cluster/keys.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected } from "../helpers/chromium.js";
import { freePort } from "../helpers/freePort.js";
import { startRedis, type RedisServer } from "../helpers/redisServer.js";

describeWithChromium("cluster redirect in the browser", () => {
  const pool = new BrowserPool();
  let redis: RedisServer;
  let raw: RedisLink;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    raw = await RedisLink.create(redis.url, silentLogger);
    await raw.open();
    const ports = [await freePort(), await freePort()];
    // Each node's page may open a socket to the other (ALLOWED_ORIGINS: its CSP and the other's origin check).
    const allowedOrigins = ports.map((port) => `http://127.0.0.1:${port}`);
    for (const [i, id] of ["node-a", "node-b"].entries()) {
      const port = ports[i];
      servers.push(await startServer({ port, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], allowedOrigins, cluster: { redisUrl: redis.url, nodeUrl: `http://127.0.0.1:${port}`, nodeId: id } }));
    }
    await pool.launch();
  }, 60_000);

  afterAll(async () => {
    await pool.closeAll();
    await Promise.all(servers.map((s) => s.close()));
    await raw?.close();
    await redis?.stop();
  });

  it("follows redirect to the room's node and plays the mix from there", async () => {
    const [a, b] = servers;
    // The room is B's: claimed for it as placement would have.
    expect(await raw.command(["SET", roomKey("moved"), "node-b", "PX", "20000"])).toBe("OK");
    const tp = await pool.openPage(pool.browsers[0], "page");
    await tp.page.goto(new URL("/?room=moved&name=Page", a.url).toString());
    await waitConnected(tp);
    expect(a.rooms.get("moved"), "node A must not open the room").toBeUndefined();
    expect(b.rooms.get("moved")?.list().map((m) => m.name)).toEqual(["Page"]);
    const playing = await tp.page
      .waitForFunction(() => (document.querySelector<HTMLVideoElement>("video#mixed")?.videoWidth ?? 0) > 0, null, { timeout: 20_000 })
      .then(() => true, () => false);
    expect(playing, `the mix from node B should play: ${await describePage(tp)}`).toBe(true);
  });
});
