import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { garbageRequests } from "../helpers/httpGarbage.js";
import { rawSend } from "../helpers/rawHttp.js";
import { logLines, startServerProcess, type ServerProcess } from "../helpers/serverProcess.js";
import { TestClient } from "../helpers/testClient.js";

const HEALTH_DEADLINE_MS = 1000;
const CAMPAIGN_REQUESTS = 600;
const CAMPAIGN_BUDGET_MS = 45_000;
const CONCURRENCY = 6;
const SEED = 18;

/**
 * Issue 18, section 1, against the real process (src/main.ts, with METRICS_PORT): a request a listener cannot
 * parse is answered 400 or its socket closed; nothing a client sends reaches an exception nobody catches.
 * Every test ends by checking the process never logged one (it would survive it: docs/decisions.md).
 */
describe("HTTP requests an attacker sends to the main and metrics ports", () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ metrics: true, env: { LOG_LEVEL: "warn" } });
  });
  afterAll(async () => {
    await server?.kill();
  });

  const health = () =>
    fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(HEALTH_DEADLINE_MS) }).then(
      (r) => r.status,
      (err: Error) => err.name,
    );
  async function expectUnharmed(): Promise<void> {
    expect(server.child.exitCode, server.stderr()).toBeNull();
    expect(await health()).toBe(200);
    expect(logLines(server.stderr(), /uncaught|unhandled/), "faults nobody caught").toEqual([]);
  }

  it("answers a WebSocket upgrade whose target is not a URL with 400 (the recipe that ended the process)", async () => {
    const reply = await rawSend(server.port, "GET http://[ HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n");
    expect(reply.status).toBe(400);
    expect(reply.response).toContain("not a URL");
    await expectUnharmed();
  });

  it("answers a metrics request whose target is not a URL with 400", async () => {
    const reply = await rawSend(server.metricsPort!, "GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(reply.status).toBe(400);
    await expectUnharmed();
  });

  it("answers a page request whose target is not a URL with 400, not the 404 page", async () => {
    const reply = await rawSend(server.port, "GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(reply.status).toBe(400);
    await expectUnharmed();
  });

  // Node takes its error listener off a socket it hands to `upgrade`: a reset while the 403 was written ended the process.
  it("survives clients that reset the connection right after an upgrade it refuses", async () => {
    const refused =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    for (let i = 0; i < 40; i++) await rawSend(server.port, refused, { resetAfterMs: i % 5 });
    for (let i = 0; i < 10; i++)
      await rawSend(server.port, "GET http://[ HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n", { resetAfterMs: i % 3 });
    const plain = await rawSend(server.port, refused);
    expect(plain.status).toBe(403);
    await expectUnharmed();
  });

  it(`lives through ${CAMPAIGN_REQUESTS} malformed requests and upgrades on both ports, /healthz answering and a participant connected throughout`, async () => {
    const participant = new TestClient({ url: server.url, room: "bystander", name: "Bystander", colour: "green", toneHz: 440 });
    try {
      await participant.connect();
      await eventually(() => participant.decoder.framesDecoded > 5, 15_000, "the participant to receive the mix");

      // /healthz every 100 ms for the whole campaign; each must answer 200 within the deadline.
      const healthFailures: string[] = [];
      let polls = 0;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const started = performance.now();
          const result = await health();
          polls++;
          if (result !== 200) healthFailures.push(`${result} after ${Math.round(performance.now() - started)} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();

      const requests = garbageRequests(CAMPAIGN_REQUESTS, SEED);
      const statuses = new Map<string, number>();
      const serverErrors: string[] = [];
      const started = Date.now();
      let sent = 0;
      const worker = async () => {
        while (sent < requests.length && Date.now() - started < CAMPAIGN_BUDGET_MS) {
          const index = sent++;
          const request = requests[index];
          // Every other request goes to the metrics listener.
          const port = index % 2 === 0 ? server.port : server.metricsPort!;
          const reply = await rawSend(port, request.bytes, {
            resetAfterMs: request.resetAfterMs,
            chunkBytes: request.chunkBytes,
            timeoutMs: 1500,
          });
          const key = reply.status === undefined ? (reply.closedByServer ? "closed" : "no answer") : String(reply.status);
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (reply.status !== undefined && reply.status >= 500)
            serverErrors.push(`${request.label} on ${port === server.port ? "main" : "metrics"}: ${reply.status}`);
        }
      };
      const framesBefore = participant.decoder.framesDecoded;
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      polling = false;
      await poller;

      expect(sent, "the campaign ran within its time budget").toBeGreaterThanOrEqual(CAMPAIGN_REQUESTS * 0.5);
      expect(healthFailures, `/healthz within ${HEALTH_DEADLINE_MS} ms (${polls} polls)`).toEqual([]);
      expect(polls).toBeGreaterThan(4);
      expect(serverErrors, `statuses: ${JSON.stringify([...statuses])}`).toEqual([]);
      // Most requests were refused outright: a 4xx, or a closed socket.
      const refused = [...statuses].filter(([k]) => k === "closed" || k.startsWith("4")).reduce((n, [, c]) => n + c, 0);
      expect(refused, `statuses: ${JSON.stringify([...statuses])}`).toBeGreaterThan(sent / 2);

      // The participant stayed: socket open, still in the room, the mix still arriving.
      expect(participant.socketOpen).toBe(true);
      await eventually(() => participant.decoder.framesDecoded > framesBefore + 30, 15_000, "the mix to keep arriving after the campaign");
      await expectUnharmed();
      expect(await (await fetch(`${server.metricsUrl}/metrics`)).text()).toContain('tessera_uncaught_errors_total{kind="exception"} 0');
    } finally {
      await participant.close();
    }
  }, 120_000);
});
