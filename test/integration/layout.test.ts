import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { tonePackets } from "../helpers/fixtures.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
import { TestClient } from "../helpers/testClient.js";
import { expectTeardownWhenAllLeave } from "../helpers/roomTeardown.js";

const TOKEN = "layout-test-token";
const RED: Rgb = { r: 255, g: 0, b: 0 };
const GREEN: Rgb = { r: 0, g: 128, b: 0 };
const BLUE: Rgb = { r: 0, g: 0, b: 255 };

/** The speaker highlight (rgb 255,200,0) after VP8 and scaling: bright red and green, little blue. */
function isAmber(c: Rgb | undefined): boolean {
  return !!c && c.r > 190 && c.g > 140 && c.b < 100;
}

function maxGap(times: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}

describe("layouts and the active speaker", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];
  let alice: TestClient;
  let bob: TestClient;
  let carol: TestClient;

  const api = async (method: string, path: string, body?: unknown, raw?: string) => {
    const res = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN });
    // Alice watches (decoding at half size so an 8 px border is 4 probe pixels); Bob talks loudly, Carol
    // murmurs below the speech threshold (about -53 dBov), Alice sends digital silence.
    const make = (name: string, colour: string, toneHz: number, toneAmplitude: number, watch: boolean) => {
      const c = new TestClient({
        url: server.url,
        room: "layouts",
        name,
        colour,
        toneHz,
        toneAmplitude,
        decode: watch,
        ...(watch ? { probeSize: { width: 640, height: 360 } } : {}),
      });
      clients.push(c);
      return c;
    };
    alice = make("Alice", "red", 440, 0, true);
    bob = make("Bob", "green", 660, 8000, false);
    carol = make("Carol", "blue", 1000, 100, false);
    for (const c of clients) await c.connect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("highlights the loud speaker's tile in the grid, and nobody else's", async () => {
    const d = alice.decoder;
    await eventually(
      () => closeTo(d.colourAt(320, 180), RED) && closeTo(d.colourAt(960, 180), GREEN) && closeTo(d.colourAt(640, 540), BLUE),
      15_000,
      "red, green and blue in the 2x2 grid",
    );
    expect((await api("GET", "/rooms/layouts/layout")).body).toEqual({ layout: "grid" });
    // Bob's tile is (640,0) 640x360 with an 8 px border: sample the middle of its top and left edges.
    await eventually(
      () => isAmber(d.colourAt(960, 4, 1280, 720, 1)) && isAmber(d.colourAt(644, 180, 1280, 720, 1)),
      5_000,
      "Bob's tile has the highlight",
    );
    for (let i = 0; i < 5; i++) {
      expect(isAmber(d.colourAt(320, 4, 1280, 720, 1)), "Alice (silent) has no border").toBe(false);
      expect(isAmber(d.colourAt(644, 540, 1280, 720, 1)), "Carol (below the threshold) has no border").toBe(false);
      expect(isAmber(d.colourAt(960, 4, 1280, 720, 1)), "Bob keeps the border").toBe(true);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it("speaker layout: the speaker fills the large region within a second, the stream uninterrupted", async () => {
    const d = alice.decoder;
    const ssrcs = new Set(alice.videoSsrcs);
    const from = alice.videoArrivals.length;
    const started = performance.now();
    const res = await api("PUT", "/rooms/layouts/layout", { layout: "speaker" });
    expect(res).toEqual({ status: 200, body: { layout: "speaker" } });
    // Corners of the 1280x576 main region lie outside Bob's old 640x360 picture (drawn centred until his
    // resized decoder has a keyframe): green there means the new size is in.
    await eventually(
      () => closeTo(d.colourAt(100, 60), GREEN) && closeTo(d.colourAt(1180, 520), GREEN),
      5_000,
      "Bob fills the main region",
    );
    const elapsed = performance.now() - started;
    // The strip: two 256x144 tiles centred at the bottom, in join order.
    await eventually(
      () => closeTo(d.colourAt(512, 648), RED) && closeTo(d.colourAt(768, 648), BLUE),
      5_000,
      "Alice and Carol in the strip",
    );
    // The large tile keeps the highlight (12 px at this size).
    await eventually(() => isAmber(d.colourAt(640, 6, 1280, 720, 1)), 3_000, "the large tile has the highlight");
    expect(elapsed).toBeLessThan(1000);
    expect(alice.videoSsrcs).toEqual(ssrcs);
    expect(maxGap(alice.videoArrivals.slice(from))).toBeLessThan(500);
    await bob.waitFor((m) => m.type === "tile" && m.width === 1280 && m.height === 576);
    await carol.waitFor((m) => m.type === "tile" && m.width === 256 && m.height === 144);
  });

  it("speaker layout follows a new speaker", async () => {
    const d = alice.decoder;
    bob.setAudio(tonePackets(660, 0));
    carol.setAudio(tonePackets(1000, 8000));
    const started = performance.now();
    await eventually(
      () => closeTo(d.colourAt(100, 60), BLUE) && closeTo(d.colourAt(1180, 520), BLUE),
      8_000,
      "Carol fills the main region",
    );
    await eventually(() => isAmber(d.colourAt(640, 6, 1280, 720, 1)), 3_000, "Carol's large tile has the highlight");
    // Bob had held the floor for far longer than the 2 s hold: Carol needs only the 300 ms takeover, plus a keyframe.
    expect(performance.now() - started).toBeLessThan(3000);
    await eventually(() => closeTo(d.colourAt(768, 648), GREEN) && closeTo(d.colourAt(512, 648), RED), 5_000, "Alice and Bob in the strip");
  });

  it("pin layout: the pinned participant is large though someone else is speaking; tile hints follow", async () => {
    const d = alice.decoder;
    const bobFrom = bob.messages.length;
    const carolFrom = carol.messages.length;
    const res = await api("PUT", "/rooms/layouts/layout", { layout: "pin", pin: bob.id });
    expect(res).toEqual({ status: 200, body: { layout: "pin", pin: bob.id } });
    await eventually(
      () => closeTo(d.colourAt(100, 60), GREEN) && closeTo(d.colourAt(1180, 520), GREEN),
      5_000,
      "Bob fills the main region",
    );
    await eventually(
      () => closeTo(d.colourAt(512, 648), RED) && closeTo(d.colourAt(768, 648), BLUE),
      5_000,
      "Alice and Carol in the strip",
    );
    // Bob is not the speaker any more: no highlight on the large tile.
    for (let i = 0; i < 5; i++) {
      expect(isAmber(d.colourAt(640, 6, 1280, 720, 1))).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
    }
    await bob.waitFor((m) => m.type === "tile" && m.width === 1280 && m.height === 576, 5000, bobFrom);
    await carol.waitFor((m) => m.type === "tile" && m.width === 256 && m.height === 144, 5000, carolFrom);
  });

  it("rejects bad layout requests with a status and a message naming the problem", async () => {
    const bad = async (body: unknown, status: number, error: string, mentions: string, raw?: string) => {
      const res = await api("PUT", "/rooms/layouts/layout", body, raw);
      expect(res.status, JSON.stringify(body ?? raw)).toBe(status);
      expect(res.body.error).toBe(error);
      expect(String(res.body.message)).toContain(mentions);
    };
    await bad(undefined, 400, "bad-json", "JSON", "{not json");
    await bad({ layout: "mosaic" }, 400, "bad-request", "layout");
    await bad({ layout: "pin" }, 400, "bad-request", "pin");
    await bad({ layout: "grid", pin: bob.id }, 400, "bad-request", "pin");
    await bad({ layout: "grid", extra: 1 }, 400, "bad-request", "extra");
    await bad({ layout: "pin", pin: "nobody42" }, 404, "unknown-participant", "nobody42");
    // A custom layout is checked region by region, and the answer names the region and what is wrong.
    const region = { x: 0, y: 0, width: 1, height: 1, source: "others" };
    await bad({ layout: "custom" }, 400, "bad-request", "definition");
    await bad(
      { layout: "custom", definition: { regions: [{ ...region, x: 0.5 }] } },
      400,
      "bad-request",
      "definition.regions.0.width: reaches past the right edge",
    );
    await bad(
      { layout: "custom", definition: { regions: [region, { ...region, source: "screen", x: 0.5, width: 0.5 }] } },
      400,
      "bad-request",
      "regions 0 and 1 overlap",
    );
    await bad(
      { layout: "custom", definition: { regions: [{ ...region, source: "slides" }] } },
      400,
      "bad-request",
      "definition.regions.0.source",
    );

    const missing = await api("PUT", "/rooms/no-such-room/layout", { layout: "grid" });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("unknown-room");

    // A viewer has no tile; a mesh room has no composite.
    const viewer = await joinRaw(server.url, "layouts", "Vic", "viewer");
    const mesh = await joinRaw(server.url, "meshroom", "Mia", "sender", "mesh");
    try {
      await bad({ layout: "pin", pin: viewer.id }, 400, "not-a-sender", "viewer");
      const wrongMode = await api("PUT", "/rooms/meshroom/layout", { layout: "speaker" });
      expect(wrongMode.status).toBe(409);
      expect(wrongMode.body.error).toBe("wrong-mode");
      expect(String(wrongMode.body.message)).toContain("mesh");
    } finally {
      viewer.ws.close();
      mesh.ws.close();
    }
    // Nothing above changed the room's layout.
    expect((await api("GET", "/rooms/layouts/layout")).body).toEqual({ layout: "pin", pin: bob.id });
  });

  it("draws a custom layout given through the API, and lists the built-ins' definitions", async () => {
    const d = alice.decoder;
    // Bob alone on the left half; everyone else in a column on the right.
    const definition = {
      name: "bob-left",
      regions: [
        { x: 0, y: 0, width: 0.5, height: 1, source: "participant", participant: bob.id },
        { x: 0.5, y: 0, width: 0.5, height: 1, source: "others", arrange: "column" },
      ],
    };
    const res = await api("PUT", "/rooms/layouts/layout", { layout: "custom", definition });
    expect(res).toEqual({ status: 200, body: { layout: "custom", definition } });
    await eventually(() => closeTo(d.colourAt(160, 360), GREEN) && closeTo(d.colourAt(480, 360), GREEN), 5_000, "Bob fills the left half");
    const builtins = await api("GET", "/layouts");
    expect(Object.keys(builtins.body).sort()).toEqual(["grid", "interview", "pin", "presentation", "speaker"]);
    await api("PUT", "/rooms/layouts/layout", { layout: "pin", pin: bob.id });
  });

  it("falls back to the speaker layout when the pinned participant leaves", async () => {
    const d = alice.decoder;
    await bob.close();
    clients.splice(clients.indexOf(bob), 1);
    await eventually(
      () => closeTo(d.colourAt(100, 60), BLUE) && closeTo(d.colourAt(1180, 520), BLUE),
      5_000,
      "Carol (the speaker) fills the main region",
    );
    expect((await api("GET", "/rooms/layouts/layout")).body).toEqual({ layout: "speaker" });
  });

  it("tears a room down with every ffmpeg child gone, its layout pinned when the last ones leave", async () => {
    // A room of its own, so this case does not depend on what the cases before it left behind.
    const own = ["Dan", "Eve"].map(
      (name, i) =>
        new TestClient({
          url: server.url,
          room: "layouts-teardown",
          name,
          colour: i ? "blue" : "red",
          toneHz: 440 + 220 * i,
          decode: false,
        }),
    );
    clients.push(...own);
    for (const c of own) await c.connect();
    expect((await api("PUT", "/rooms/layouts-teardown/layout", { layout: "pin", pin: own[0].id })).status).toBe(200);
    await expectTeardownWhenAllLeave(server, "layouts-teardown", own.length, own);
  });
});

/** A signaling-only participant (no media): enough to be a room member, or to create a room of a mode. */
async function joinRaw(
  serverUrl: string,
  room: string,
  name: string,
  role: "sender" | "viewer",
  mode?: "mesh",
): Promise<{ ws: WebSocket; id: string }> {
  const ws = new WebSocket(serverUrl.replace(/^http/, "ws") + "/ws");
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  const joined = new Promise<string>((resolve, reject) => {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { type: string; id?: string; message?: string };
      if (m.type === "joined" && m.id) resolve(m.id);
      if (m.type === "error") reject(new Error(m.message));
    });
  });
  ws.send(JSON.stringify({ type: "join", room, name, role, ...(mode ? { mode } : {}) }));
  return { ws, id: await joined };
}

describe("active speaker from the RFC 6464 audio-level header", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it("trusts the sender's level when it sends one: digital silence stamped loud wins", async () => {
    // Dan's packets decode to silence but say -10 dBov; Eve's decode to a murmur and carry no level. Only
    // the header can make Dan the speaker.
    const dan = new TestClient({
      url: server.url,
      room: "levels",
      name: "Dan",
      colour: "red",
      toneHz: 440,
      toneAmplitude: 0,
      audioLevel: 10,
      probeSize: { width: 640, height: 360 },
    });
    const eve = new TestClient({
      url: server.url,
      room: "levels",
      name: "Eve",
      colour: "blue",
      toneHz: 660,
      toneAmplitude: 100,
      decode: false,
    });
    clients.push(dan, eve);
    await dan.connect();
    await eve.connect();
    const answer = dan.messages.find((m) => m.type === "answer") as { sdp: string } | undefined;
    expect(answer?.sdp).toMatch(/a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level/);
    const d = dan.decoder;
    await eventually(() => closeTo(d.colourAt(320, 360), RED) && closeTo(d.colourAt(960, 360), BLUE), 15_000, "Dan and Eve side by side");
    // Dan's tile is (0,0) 640x720 with a 16 px border.
    await eventually(
      () => isAmber(d.colourAt(320, 8, 1280, 720, 1)) && isAmber(d.colourAt(8, 360, 1280, 720, 1)),
      5_000,
      "Dan's tile has the highlight",
    );
    expect(isAmber(d.colourAt(960, 8, 1280, 720, 1))).toBe(false);
  });
});
