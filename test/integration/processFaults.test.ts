import { afterAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { eventually } from "../helpers/eventually.js";
import { logLines, startServerProcess, type ServerProcess } from "../helpers/serverProcess.js";

const INJECTOR = fileURLToPath(new URL("../helpers/injectFault.mjs", import.meta.url));

/** The real process (src/main.ts) meets a fault nobody caught: docs/decisions.md, "Faults nobody caught". */
describe("a fault nobody caught, in the real server process", () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill()));
  });

  it("logs and counts an uncaught Error once serving, and keeps serving", async () => {
    const server = await startServerProcess({ metrics: true, preload: [INJECTOR], env: { INJECT_FAULT: "error", LOG_LEVEL: "warn" } });
    servers.push(server);
    server.child.kill("SIGUSR2");
    await eventually(() => logLines(server.stderr(), /uncaught exception/).length > 0, 10_000, "the fault to be logged");
    expect(logLines(server.stderr(), /uncaught exception/)[0]).toMatchObject({
      level: "error",
      error: expect.stringContaining("injected fault"),
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.metricsUrl}/metrics`)).text()).toContain('tessera_uncaught_errors_total{kind="exception"} 1');
    expect(server.child.exitCode).toBeNull();
  });

  it("stops the server as on SIGTERM and exits 1 when the thrown value is not an Error", async () => {
    const server = await startServerProcess({ preload: [INJECTOR], env: { INJECT_FAULT: "string", LOG_LEVEL: "info" } });
    servers.push(server);
    server.child.kill("SIGUSR2");
    const { code } = await server.exited;
    expect(code).toBe(1);
    expect(logLines(server.stderr(), /non-Error value/)[0]).toMatchObject({ error: "a thrown string" });
    // The orderly stop ran (rooms closed, children stopped) before the exit.
    expect(logLines(server.stderr(), /^stopped$/)).toHaveLength(1);
  });
});
