import { afterEach, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { silentLogger } from "../log.js";
import { startWebhookReceiver } from "../../test/helpers/webhookReceiver.js";
import { eventually } from "../../test/helpers/eventually.js";
import { signWebhook, verifyWebhook } from "./webhookSignature.js";
import { Webhooks } from "./webhooks.js";

const SECRET = "a-webhook-secret-of-some-length";
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("webhook signatures", () => {
  const body = '{"type":"room.started","room":"면접"}';
  const now = 1_800_000_000;
  const cases: [string, string | undefined, number, boolean][] = [
    ["its own signature", signWebhook(SECRET, body, now), now, true],
    ["signed 4 minutes ago", signWebhook(SECRET, body, now - 240), now, true],
    ["signed 6 minutes ago (a replay)", signWebhook(SECRET, body, now - 360), now, false],
    ["another secret", signWebhook("another-secret-entirely!", body, now), now, false],
    ["another body", signWebhook(SECRET, body.replace("면접", "room"), now), now, false],
    ["the timestamp changed", signWebhook(SECRET, body, now).replace(`t=${now}`, `t=${now + 1}`), now, false],
    ["no header", undefined, now, false],
    ["garbage", "t=x,v1=zz", now, false],
  ];
  it.each(cases)("%s", (_name, header, at, ok) => {
    expect(verifyWebhook(SECRET, body, header, at)).toBe(ok);
  });
});

describe("Webhooks against a real receiver on loopback", () => {
  function webhooks(url: string, overrides: Partial<ConstructorParameters<typeof Webhooks>[0]> = {}): Webhooks {
    const hooks = new Webhooks({
      urls: [url],
      secret: SECRET,
      log: silentLogger,
      timeoutMs: 300,
      retryForMs: 10_000,
      firstBackoffMs: 100,
      maxBackoffMs: 400,
      ...overrides,
    });
    closers.push(() => hooks.close());
    return hooks;
  }

  it("signs each request, and retries an event after a 500 and a timeout, keeping the room's order", async () => {
    // First attempt: 500; second: no answer (timeout); then 200 for everything.
    const receiver = await startWebhookReceiver((n) => (n === 0 ? 500 : n === 1 ? "hang" : 200));
    closers.push(() => receiver.close());
    const hooks = webhooks(receiver.url);
    hooks.send("room-a", { type: "room.started", mode: "mcu" });
    hooks.send("room-a", { type: "participant.joined", participant: { id: "p1", name: "김민수", role: "sender" } });
    hooks.send("room-a", { type: "room.finished", mode: "mcu" });
    await eventually(() => hooks.stats.delivered === 3, 10_000, "all three delivered");
    const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);
    // The first event three times (500, timeout, 200), then the others, never overtaking it.
    expect(types).toEqual(["room.started", "room.started", "room.started", "participant.joined", "room.finished"]);
    const ids = receiver.received.slice(0, 3).map((r) => (JSON.parse(r.body) as { id: string }).id);
    expect(new Set(ids).size).toBe(1);
    expect(receiver.received[0].headers["tessera-event-id"]).toBe(ids[0]);
    for (const r of receiver.received) {
      expect(verifyWebhook(SECRET, r.body, r.headers["tessera-signature"] as string)).toBe(true);
      expect(r.headers["content-type"]).toBe("application/json");
    }
    // Backed off between attempts: at least the first back-off (100 ms less jitter) after the 500.
    expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThan(70);
    expect(JSON.parse(receiver.received[3].body)).toMatchObject({ room: "room-a", participant: { name: "김민수" } });
    expect(hooks.stats).toEqual({ delivered: 3, failed_attempt: 2, dropped: 0 });
  });

  it("drops an event whose receiver stays down past the retry time (logged and counted), then goes on with the next", async () => {
    const receiver = await startWebhookReceiver((_n, body) => (body.includes("room.started") ? 503 : 200));
    closers.push(() => receiver.close());
    const hooks = webhooks(receiver.url, { retryForMs: 600 });
    const registry = new Registry();
    hooks.registerMetrics(registry);
    hooks.send("r", { type: "room.started", mode: "mcu" });
    hooks.send("r", { type: "room.finished", mode: "mcu" });
    await eventually(() => hooks.stats.delivered === 1, 10_000, "the second event delivered after the first was dropped");
    expect(hooks.stats.dropped).toBe(1);
    const attempts = receiver.received.filter((r) => r.body.includes("room.started")).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(6);
    const text = await registry.metrics();
    expect(text).toMatch(/tessera_webhook_deliveries_total\{outcome="dropped"\} 1/);
    expect(text).toMatch(/tessera_webhook_deliveries_total\{outcome="delivered"\} 1/);
  });

  it("keeps rooms apart: a room whose receiver hangs does not hold up another room's events", async () => {
    const receiver = await startWebhookReceiver((_n, body) => (body.includes('"room":"slow"') ? "hang" : 200));
    closers.push(() => receiver.close());
    const hooks = webhooks(receiver.url, { timeoutMs: 5000 });
    hooks.send("slow", { type: "room.started", mode: "mcu" });
    const sentAt = performance.now();
    hooks.send("fast", { type: "room.started", mode: "mcu" });
    await eventually(() => hooks.stats.delivered === 1, 3000, "the other room's event delivered");
    // Well inside the slow room's 5 s timeout.
    expect(performance.now() - sentAt).toBeLessThan(2500);
  });
});
