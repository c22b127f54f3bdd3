import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { SERVER_EXTERNAL } from "../../scripts/build.mjs";
import { SingleNode } from "./singleNode.js";

const run = promisify(execFile);

// Starts a server in a fresh Node process in which importing the Redis client throws.
async function startWithoutRedisClient(overrides: string): Promise<{ stdout: string; stderr: string }> {
  const script = `const { startServer } = await import("./src/server.ts");
const s = await startServer({ port: 0, host: "127.0.0.1", ...${overrides} });
const h = await (await fetch(s.url + "/healthz")).json();
await s.close();
console.log(JSON.stringify(h));`;
  return run(process.execPath, ["--import", "tsx", "--import", "./test/hooks/forbidRedis.mjs", "--input-type=module", "-e", script], {
    timeout: 60_000,
  });
}

describe("SingleNode: no REDIS_URL", () => {
  it("places every room here and reports Redis off", async () => {
    const node = new SingleNode();
    expect(await node.place()).toEqual({ kind: "here" });
    expect(await node.remoteRooms()).toEqual([]);
    expect(node.health()).toEqual({ redis: "off", acceptingRooms: true, draining: false });
    node.drain();
    expect(node.health().acceptingRooms).toBe(false);
  });

  it("starts and serves without ever loading the Redis client; with a cluster config the same process would", async () => {
    const { stdout } = await startWithoutRedisClient("{}");
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ status: "ok", redis: "off", acceptingRooms: true });
    // The control: the hook does catch the client when the cluster path asks for it.
    const cluster = `{ cluster: { redisUrl: "redis://127.0.0.1:1", nodeUrl: "http://127.0.0.1:1", nodeId: "n" } }`;
    await expect(startWithoutRedisClient(cluster)).rejects.toThrow(/forbidden: the Redis client was loaded/);
  });

  it("leaves the Redis client out of the built server's start: only a dynamic import of it remains", async () => {
    // As scripts/build.mjs bundles src/main.ts: esbuild hoists a static import of an external package to the
    // top of the bundle, where a single node would load it at start.
    const out = await build({
      entryPoints: ["src/main.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: SERVER_EXTERNAL,
      write: false,
      logLevel: "silent",
    });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/^import [^;]*from "@redis\/client"/m);
    expect(code).toContain('import("@redis/client")');
  });
});
