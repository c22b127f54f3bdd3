// What a redirect costs a join: `node --import tsx bench/clusterRedirect.ts` (needs redis-server). Two in-process nodes
// share a redis-server of their own; a viewer joins the room 40 times straight at its node and 40 times through
// the other node (redirect, then join), signaling only, to `joined`.
import WebSocket from "ws";
import { startServer } from "../src/server.js";
import { startRedis } from "../test/helpers/redisServer.js";
import { freePort } from "../test/helpers/freePort.js";

async function join(url: string, room: string): Promise<number> {
  const t0 = performance.now();
  let target = url;
  for (;;) {
    const ws = new WebSocket(target);
    const msg = await new Promise<{ type: string; url?: string }>((resolve, reject) => {
      ws.on("open", () => ws.send(JSON.stringify({ type: "join", room, name: "M", role: "viewer" })));
      ws.on("message", (d) => {
        const m = JSON.parse(String(d));
        if (m.type === "joined" || m.type === "redirect" || m.type === "error") resolve(m);
      });
      ws.on("error", reject);
    });
    if (msg.type === "redirect") {
      ws.close();
      target = msg.url!;
      continue;
    }
    const dt = performance.now() - t0;
    ws.close();
    if (msg.type !== "joined") throw new Error(JSON.stringify(msg));
    return dt;
  }
}
const redis = await startRedis();
const servers: Awaited<ReturnType<typeof startServer>>[] = [];
for (const id of ["a", "b"]) {
  const port = await freePort();
  servers.push(
    await startServer({ port, host: "127.0.0.1", cluster: { redisUrl: redis.url, nodeUrl: `http://127.0.0.1:${port}`, nodeId: id } }),
  );
}
const [a, b] = servers;
const ws = (s: { url: string }) => s.url.replace("http", "ws") + "/ws";
// Keep the room open on b with a holder socket.
const holder = new WebSocket(ws(b));
await new Promise((r) => holder.on("open", r));
holder.send(JSON.stringify({ type: "join", room: "m", name: "H", role: "viewer" }));
await new Promise((r) => setTimeout(r, 500));
const where = b.rooms.get("m") ? "b" : "a";
const host = where === "b" ? b : a,
  other = where === "b" ? a : b;
const direct: number[] = [],
  redirected: number[] = [];
for (let i = 0; i < 40; i++) {
  direct.push(await join(ws(host), "m"));
  redirected.push(await join(ws(other), "m"));
}
const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const p95 = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length * 0.95)];
console.log(
  `join to 'joined' over loopback, 40 each: direct median ${med(direct).toFixed(1)} ms p95 ${p95(direct).toFixed(1)} ms; through another node (redirect) median ${med(redirected).toFixed(1)} ms p95 ${p95(redirected).toFixed(1)} ms`,
);
holder.close();
for (const s of servers) await s.close();
await redis.stop();
process.exit(0);
