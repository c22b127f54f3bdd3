// Issue 22: a shared screen's sound (a tab's) in an MCU room. Alice shares a screen with a 1500 Hz tone on its
// audio section; Bob talks at 660 Hz; a viewer listens. Everyone hears the screen but Alice, who must not hear
// her own tab back late; when the share stops nobody hears it any more.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { solidColourClip, tonePackets, tonePower } from "../helpers/fixtures.js";
import { TestClient } from "../helpers/testClient.js";

const ROOM = "screen-sound";
const SCREEN_HZ = 1500;
const BOB_HZ = 660;
/** Heard: the level mcu.test.ts holds a participant's tone to in the others' mix. */
const HEARD = 1000;

describe("a shared screen's sound in the MCU mix", () => {
  let server: RunningServer;
  let alice: TestClient;
  let bob: TestClient;
  let viewer: TestClient;

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
    alice = new TestClient({ url: server.url, room: ROOM, name: "Alice", colour: "red", toneHz: 440, toneAmplitude: 0, decode: false });
    bob = new TestClient({ url: server.url, room: ROOM, name: "Bob", colour: "green", toneHz: BOB_HZ, decode: false });
    viewer = new TestClient({ url: server.url, room: ROOM, name: "Vic", role: "viewer", decode: false });
    for (const c of [alice, bob, viewer]) await c.connect();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([alice, bob, viewer].map((c) => c?.close()));
    await server?.close();
  });

  /** A second of what `listener` heard after waiting `ms` more (the mix's sound from the moment asked about). */
  const heardSoon = async (listener: TestClient, name: string, ms = 1500): Promise<Int16Array> => {
    const from = listener.receivedAudio.length;
    await new Promise((r) => setTimeout(r, ms));
    await eventually(
      () => listener.receivedAudio.slice(from).reduce((n, c) => n + c.length, 0) >= 48_000,
      20_000,
      `a second of the mix heard by ${name}`,
    );
    return listener.recentAudio(1000);
  };

  it("everyone but the sharer hears the screen; the sharer still hears the others", async () => {
    await alice.shareScreen(solidColourClip("blue"), tonePackets(SCREEN_HZ, 8000));
    await alice.waitFor((m) => m.type === "screen" && m.id === alice.id);
    for (const [name, listener] of [
      ["Bob", bob],
      ["the viewer", viewer],
    ] as const) {
      const heard = await heardSoon(listener, name);
      expect(tonePower(heard, SCREEN_HZ), `${name} hears the screen`).toBeGreaterThan(HEARD);
    }
    const viewerHeard = viewer.recentAudio(1000);
    expect(tonePower(viewerHeard, BOB_HZ), "the viewer hears Bob beside the screen").toBeGreaterThan(HEARD);
    const bobHeard = bob.recentAudio(1000);
    expect(tonePower(bobHeard, BOB_HZ), "Bob does not hear himself").toBeLessThan(tonePower(bobHeard, SCREEN_HZ) / 100);

    const aliceHeard = await heardSoon(alice, "Alice");
    const bobPower = tonePower(aliceHeard, BOB_HZ);
    expect(bobPower, "Alice hears Bob").toBeGreaterThan(HEARD);
    expect(tonePower(aliceHeard, SCREEN_HZ), "Alice does not hear her own screen").toBeLessThan(bobPower / 100);
  }, 60_000);

  it("nobody hears the screen once the share stops", async () => {
    await alice.stopScreen();
    await bob.waitFor((m) => m.type === "screen" && m.id === null);
    for (const [name, listener] of [
      ["Bob", bob],
      ["the viewer", viewer],
    ] as const) {
      const heard = await heardSoon(listener, name);
      expect(tonePower(heard, SCREEN_HZ), `${name} no longer hears the screen`).toBeLessThan(HEARD / 100);
    }
    expect(tonePower(viewer.recentAudio(1000), BOB_HZ), "the viewer still hears Bob").toBeGreaterThan(HEARD);
  }, 60_000);
});
