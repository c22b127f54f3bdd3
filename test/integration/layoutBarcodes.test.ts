// Issue 22: the bench clips' block codes (bench/barcodeClip.ts: each sender's index drawn in its pixels) read
// back from every participant's tile, and from the shared screen's, in every built-in layout. Three werift
// senders replay the coded clips into one MCU room, the third also shares a screen (a fourth coded clip) for
// the presentation rows; a viewer decodes the real mix; where each tile is comes from the same pure layout
// function the mixer uses, chained through the same sequence of changes (stable placement included).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import { barcodeClip } from "../../bench/barcodeClip.js";
import { readCode } from "../../bench/latencyProbe.js";
import { computeLayout, type Assignment } from "../../mixer/layout/computeLayout.js";
import type { Rect, Size } from "../../mixer/layout/gridLayout.js";
import { screenSourceId } from "../../protocol/screenSource.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";

const TOKEN = "layout-barcodes-token";
const ROOM = "barcodes";
const PROBE: Size = { width: 960, height: 540 };
/** The screen's clip: a code no camera sends. */
const SCREEN_SENDER = 5;

interface Row {
  readonly name: string;
  /** The choice, with `pin` as a sender's index. */
  readonly choice: (ids: readonly string[]) => LayoutChoice;
  /** The third sender shares a screen in this row. */
  readonly screen: boolean;
}

const ROWS: readonly Row[] = [
  { name: "grid", choice: () => ({ layout: "grid" }), screen: false },
  { name: "speaker (nobody speaks: the first to join is large)", choice: () => ({ layout: "speaker" }), screen: false },
  { name: "pin (the last to join)", choice: (ids) => ({ layout: "pin", pin: ids[2] }), screen: false },
  { name: "interview", choice: () => ({ layout: "interview" }), screen: false },
  { name: "presentation without a screen", choice: () => ({ layout: "presentation" }), screen: false },
  { name: "presentation with a screen", choice: () => ({ layout: "presentation" }), screen: true },
  { name: "grid while a screen is shared (drawn as presentation)", choice: () => ({ layout: "grid" }), screen: true },
  { name: "interview while a screen is shared (drawn as presentation)", choice: () => ({ layout: "interview" }), screen: true },
];

describe("bar codes read back from every tile in every built-in layout", () => {
  let server: RunningServer;
  let viewer: TestClient;
  const senders: TestClient[] = [];
  let canvas: Size;
  /** The mixer's placement, replayed: each change starts from the one before, as the mixer's does. */
  let previous: Assignment | undefined;
  let sharing = false;

  const expectedTiles = (spec: LayoutChoice): Map<string, Rect> => {
    const cameras = senders.map((s) => s.id);
    const computed = computeLayout(spec, { cameras, screen: sharing ? screenSourceId(senders[2].id) : undefined }, canvas, previous);
    previous = computed.assignment;
    return computed.tiles;
  };

  beforeAll(async () => {
    // The viewer decodes the mix's keyframes only, one a second: its ffmpeg decoding every 960x540 picture fell
    // seconds behind on a loaded machine and read the layout before the last as this one's.
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN, keyframeIntervalMs: 1000 });
    viewer = new TestClient({
      url: server.url,
      room: ROOM,
      name: "Viewer",
      role: "viewer",
      decode: true,
      probeSize: PROBE,
      decodeKeyframesOnly: true,
    });
    await viewer.connect();
    const joined = viewer.messages.find((m) => m.type === "joined");
    canvas = joined?.type === "joined" ? { width: joined.output.width, height: joined.output.height } : { width: 1280, height: 720 };
    // Silent senders: nobody becomes the speaker, so the speaker layout shows the first to join.
    for (let i = 0; i < 3; i++) {
      const s = new TestClient({
        url: server.url,
        room: ROOM,
        name: `S${i}`,
        clip: barcodeClip(i, "vp8"),
        toneHz: 440,
        toneAmplitude: 0,
        decode: false,
      });
      await s.connect();
      senders.push(s);
      // The room re-lays its grid at each join: replayed so stable placement starts from the same point.
      expectedTiles({ layout: "grid" });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([viewer, ...senders].map((c) => c.close()));
    await server?.close();
  });

  it.each(ROWS)(
    "$name",
    async (row) => {
      if (row.screen && !sharing) {
        await senders[2].shareScreen(barcodeClip(SCREEN_SENDER, "vp8"));
        sharing = true;
        expectedTiles({ layout: "presentation" });
      }
      const spec = row.choice(senders.map((s) => s.id));
      const res = await fetch(`${server.url}/api/rooms/${ROOM}/layout`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(spec),
      });
      expect(res.status).toBe(200);
      const tiles = expectedTiles(spec);
      // Everyone has a tile (and the screen one while shared): a missing tile is a missing face.
      expect(tiles.size).toBe(senders.length + (sharing ? 1 : 0));
      const wanted = new Map<string, number>(senders.map((s, i) => [s.id, i]));
      if (sharing) wanted.set(screenSourceId(senders[2].id), SCREEN_SENDER);
      const read = (): Map<string, number | undefined> => {
        const rgb = viewer.decoder.latest;
        const codes = new Map<string, number | undefined>();
        for (const [id, rect] of tiles)
          codes.set(
            id,
            rgb ? readCode(rgb, PROBE, { rect, canvas, fit: id.startsWith("screen:") ? "contain" : "cover" })?.sender : undefined,
          );
        return codes;
      };
      const allRead = () => [...read()].every(([id, sender]) => sender === wanted.get(id));
      // A resized tile shows its new size from its sender's next keyframe (the clip has one every 2 s).
      await eventually(allRead, 15_000, `every tile's code in ${row.name}`).catch((err: Error) => {
        throw new Error(`${err.message}; tiles ${JSON.stringify([...tiles])}; read ${JSON.stringify([...read()])}`);
      });
      // Not a lucky frame: the codes keep reading in later pictures.
      let good = 0;
      for (let i = 0; i < 10; i++) {
        if (allRead()) good++;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(good).toBeGreaterThanOrEqual(8);
    },
    60_000,
  );

  it("stopping the share brings the chosen layout back, every code still in place", async () => {
    await senders[2].stopScreen();
    sharing = false;
    const tiles = expectedTiles({ layout: "interview" });
    await eventually(
      () => {
        const rgb = viewer.decoder.latest;
        return !!rgb && senders.every((s, i) => readCode(rgb, PROBE, { rect: tiles.get(s.id)!, canvas })?.sender === i);
      },
      15_000,
      "the interview layout's codes after the share",
    );
  }, 30_000);
});
