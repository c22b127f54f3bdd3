import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LinkReport } from "../../src/peers/linkMonitor.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { testPatternClip } from "../helpers/fixtures.js";
import { TestClient } from "../helpers/testClient.js";

const API_TOKEN = "retransmission-test-api-token";

/**
 * Retransmissions are the server's own (LinkMonitor, not werift's sender). A werift viewer drops 5 % of the
 * media packets that reach it, before its receiver sees them (werift's loss simulation), and asks for them
 * again (werift NACKs every 5 ms, ten times). On loopback the estimate has room for every resend, so in the end
 * as many packets of the mix must reach its track as reach a viewer that drops nothing: without resends about
 * 5 % fewer would. (Compared with that viewer, not with 100 %: on a machine busy with other test files a stalled
 * event loop loses packets in the kernel's socket buffer too, for both.)
 */
describe("retransmission to a lossy receiver", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: API_TOKEN });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("resends what a viewer losing 5 % asks for, so nearly every packet reaches it", async () => {
    const sender = new TestClient({
      url: server.url,
      room: "rtx",
      name: "Sender",
      clip: testPatternClip(4, "640x480", "600k"),
      toneHz: 440,
      decode: false,
    });
    const clean = new TestClient({ url: server.url, room: "rtx", name: "Clean", role: "viewer", inboundLossPercent: 0, decode: false });
    const lossy = new TestClient({ url: server.url, room: "rtx", name: "Lossy", role: "viewer", inboundLossPercent: 5, decode: false });
    clients.push(sender, clean, lossy);
    for (const c of clients) await c.connect();
    await eventually(() => lossy.videoSequenceNumbers.size > 200, 15_000, "the lossy viewer to receive the mix");
    await new Promise((r) => setTimeout(r, 8000));
    // The same 900 sequence numbers for both, ending 150 packets (about a second) before the newest, whose
    // resends may still be on their way.
    const newest = [...clean.videoSequenceNumbers].pop()!;
    const window = 900;
    const arrived = (c: TestClient) =>
      [...c.videoSequenceNumbers].filter((s) => (newest - s + 0x10000) % 0x10000 >= 150 && (newest - s + 0x10000) % 0x10000 < 150 + window)
        .length;
    const inWindow = arrived(lossy);
    const inWindowClean = arrived(clean);
    const detail = (await (await fetch(`${server.url}/api/rooms/rtx`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as {
      participants: { id: string; link: LinkReport | null }[];
    };
    const link = detail.participants.find((p) => p.id === lossy.id)?.link;
    const cleanLink = detail.participants.find((p) => p.id === clean.id)?.link;
    console.log(
      `lossy viewer: ${inWindow} of ${window} packets arrived (clean viewer: ${inWindowClean}); asked for ${link?.nackedPackets} (repeats included), ${link?.retransmittedPackets} resent, ${link?.abandonedPackets} abandoned`,
    );
    expect(link?.retransmittedPackets).toBeGreaterThan(20);
    expect(cleanLink?.nackedPackets ?? 0).toBeLessThan(5);
    expect(inWindow).toBeGreaterThanOrEqual(inWindowClean - window * 0.01);
  }, 60_000);
});
