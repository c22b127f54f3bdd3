import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { tonePower } from "../helpers/fixtures.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";


const merge = (chunks: Int16Array[]) => {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) (out.set(c, o), (o += c.length));
  return out;
};

describe("SFU mode with headless werift clients", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];
  const spec = { Red: ["red", 440, { r: 255, g: 0, b: 0 }], Green: ["green", 660, { r: 0, g: 128, b: 0 }], Blue: ["blue", 1000, { r: 0, g: 0, b: 255 }] } as const;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("forwards each sender's picture and sound to every other participant as separate tracks, and retires them on leave", async () => {
    for (const [name, [colour, toneHz]] of Object.entries(spec)) {
      const c = new TestClient({ url: server.url, room: "forward", name, colour, toneHz, mode: "sfu" });
      clients.push(c);
      await c.connect();
    }
    expect(server.rooms.get("forward")?.mode).toBe("sfu");
    expect(server.processes.size).toBe(0); // an SFU decodes nothing
    const byId = new Map(clients.map((c) => [c.id, c]));
    const name = (id: string) => Object.keys(spec)[clients.indexOf(byId.get(id)!)] as keyof typeof spec;

    for (const receiver of clients) {
      await eventually(() => receiver.remotes.size === 2, 10_000, "two remote streams");
      expect(receiver.remotes.has(receiver.id)).toBe(false);
      for (const [id, remote] of receiver.remotes) {
        const expected: Rgb = spec[name(id)][2];
        await eventually(() => closeTo(remote.decoder.colourAt(160, 120, 320, 240), expected), 10_000, `${name(id)}'s colour at ${name(receiver.id)}`);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    for (const receiver of clients) {
      for (const [id, remote] of receiver.remotes) {
        const heard = merge(remote.audio.slice(-50));
        const ownHz = spec[name(id)][1];
        expect(tonePower(heard, ownHz), `${name(id)}'s tone on its own track`).toBeGreaterThan(1000);
      }
    }

    // Each packet is forwarded once: what Red receives matches what Green and Blue send. (werift re-fires
    // onTrack at every renegotiation; wiring a track twice forwarded every packet twice.)
    const [r0, g0, b0] = clients.map((c) => [c.bytesReceived, c.bytesSent]);
    await new Promise((r) => setTimeout(r, 2000));
    const received = clients[0].bytesReceived - r0[0];
    const sentByOthers = clients[1].bytesSent - g0[1] + (clients[2].bytesSent - b0[1]);
    expect(received / sentByOthers).toBeGreaterThan(0.8);
    expect(received / sentByOthers).toBeLessThan(1.3);

    // Blue leaves: the others get a renegotiation that retires Blue's tracks.
    const [red, green, blue] = clients;
    const offersBefore = red.answeredOffers;
    await blue.close();
    clients.pop();
    await eventually(() => red.answeredOffers > offersBefore, 5_000, "a renegotiation after the leave");
    const roster = await red.waitFor((m) => m.type === "participants" && m.participants.length === 2, 5_000);
    expect(roster.type === "participants" && roster.participants.map((p) => p.name).sort()).toEqual(["Green", "Red"]);
    const blueFrames = red.remotes.get(blue.id)!.decoder.framesDecoded;
    const greenFrames = red.remotes.get(green.id)!.decoder.framesDecoded;
    await new Promise((r) => setTimeout(r, 1000));
    expect(red.remotes.get(blue.id)!.decoder.framesDecoded).toBe(blueFrames);
    expect(red.remotes.get(green.id)!.decoder.framesDecoded).toBeGreaterThan(greenFrames + 10);
  });
});
