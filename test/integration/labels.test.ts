import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelInset } from "../../mixer/video/compositor.js";
import { resolveLabelFont } from "../../mixer/video/labelFont.js";
import { LabelRenderer } from "../../mixer/video/labelRenderer.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { cropLuma, inkBox, inkSimilarity, referenceText, rgbLuma } from "../helpers/glyphs.js";
import { closeTo } from "../helpers/mixedStreamDecoder.js";
import { rgbToPng } from "../helpers/pictures.js";
import { TestClient } from "../helpers/testClient.js";

const TOKEN = "labels-test-token";
const W = 1280;
const H = 720;
// The mix's grid for three senders: two tiles on top, the third centred below.
const KIM = { x: 0, y: 0, width: 640, height: 360 };
const DMITRY = { x: 640, y: 0, width: 640, height: 360 };
const MOHAMMED = { x: 320, y: 360, width: 640, height: 360 };

/**
 * The mix as participants receive it, decoded by a real ffmpeg from what a werift viewer gets: names in
 * Hangul, Cyrillic and Arabic drawn with real glyphs, a mute badge, the camera-off card naming its
 * participant once, the speaker's highlight clear of the labels, and `speaker` messages.
 */
describe("names, badges and the speaker in the mix", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];
  let kim: TestClient;
  let dmitry: TestClient;
  let mohammed: TestClient;
  let viewer: TestClient;
  // The server's own renderer, rebuilt here: where a label lands and how large it is.
  const labels = new LabelRenderer({ outputHeight: H, font: resolveLabelFont(undefined) });

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], apiToken: TOKEN });
    const make = (name: string, options: Partial<ConstructorParameters<typeof TestClient>[0]>) => {
      const c = new TestClient({ url: server.url, room: "이름표", name, ...options });
      clients.push(c);
      return c;
    };
    kim = make("김민수", { colour: "red", toneHz: 440, toneAmplitude: 8000 });
    dmitry = make("Дмитрий", { colour: "green", toneHz: 660, toneAmplitude: 0 });
    mohammed = make("محمد علي", { colour: "blue", toneHz: 880, toneAmplitude: 0 });
    for (const c of clients) await c.connect();
    dmitry.send({ type: "mute", audio: true });
    mohammed.send({ type: "mute", video: true });
    // Joins last, after the speaker is known: it must be told who is speaking right after `joined`.
    await kim.waitFor((m) => m.type === "speaker" && m.id === kim.id, 15_000);
    viewer = make("Viewer", { role: "viewer", probeSize: { width: W, height: H } });
    await viewer.connect();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  const frameLuma = () => rgbLuma(viewer.decoder.latest!, W, H);
  /** The decoded pixels where the compositor puts the tile's label (of `name`, muted or not). */
  const labelRegion = (tile: typeof KIM, name: string, muted: boolean) => {
    const o = labels.tileLabel(name, muted, tile.width - 2 * labelInset(tile))!;
    const inset = labelInset(tile);
    return { x: tile.x + inset, y: tile.y + tile.height - inset - o.height, width: o.width, height: o.height };
  };

  it("sends the speaker to everyone, and to a newcomer right after joined", async () => {
    for (const c of [kim, dmitry, mohammed]) await c.waitFor((m) => m.type === "speaker" && m.id === kim.id);
    const joinedAt = viewer.messages.findIndex((m) => m.type === "joined");
    const told = viewer.messages.findIndex((m) => m.type === "speaker");
    expect(told).toBeGreaterThan(joinedAt);
    expect(viewer.messages[told]).toEqual({ type: "speaker", id: kim.id });
  });

  it('draws "김민수" and "Дмитрий" with real glyphs: the decoded label matches the text, not "???"', async () => {
    const font = labels.cssFont();
    let scores = { kim: 0, kimAsQuestionMarks: 1, dmitry: 0 };
    await eventually(
      () => {
        if (!viewer.decoder.latest) return false;
        const luma = frameLuma();
        const k = labelRegion(KIM, "김민수", false);
        const kimLabel = cropLuma(luma, k.x, k.y, k.width, k.height);
        // Dmitry's label starts with the badge (white strokes on red): his name is what follows it.
        const d = labelRegion(DMITRY, "Дмитрий", true);
        const skip = d.width - labelRegion(DMITRY, "Дмитрий", false).width + 2;
        const dmitryName = cropLuma(luma, d.x + skip, d.y, d.width - skip, d.height);
        scores = {
          kim: inkSimilarity(kimLabel, referenceText("김민수", font)),
          kimAsQuestionMarks: inkSimilarity(kimLabel, referenceText("???", font)),
          dmitry: inkSimilarity(dmitryName, referenceText("Дмитрий", font)),
        };
        return scores.kim > 0.9 && scores.dmitry > 0.9;
      },
      15_000,
      "both labels legible in the mix",
    );
    expect(scores.kimAsQuestionMarks).toBeLessThan(0.5);
  });

  it("shows a mute badge on the muted participant's tile only", async () => {
    // The badge's red (#d93025) after VP8: a strongly red pixel block at the label's left end.
    const redIn = (r: { x: number; y: number; width: number; height: number }) => {
      const rgb = viewer.decoder.latest!;
      let n = 0;
      for (let y = r.y; y < r.y + r.height; y++)
        for (let x = r.x; x < r.x + Math.min(r.width, 60); x++) {
          const i = (y * W + x) * 3;
          if (rgb[i] > 170 && rgb[i + 1] < 90 && rgb[i + 2] < 90) n++;
        }
      return n;
    };
    await eventually(() => redIn(labelRegion(DMITRY, "Дмитрий", true)) > 200, 10_000, "Dmitry's badge");
    // Kim's tile is red itself: look only inside his label box, which is black with white text.
    expect(redIn(labelRegion(KIM, "김민수", false))).toBeLessThan(20);
  });

  it("names the camera-off participant once, in the middle of the card", async () => {
    const luma = frameLuma();
    const tile = cropLuma(luma, MOHAMMED.x, MOHAMMED.y, MOHAMMED.width, MOHAMMED.height);
    const ink = inkBox(tile)!;
    // One block of text, centred: no second copy of the name at the foot of the card.
    expect(Math.abs(ink.x + ink.width / 2 - MOHAMMED.width / 2)).toBeLessThan(20);
    expect(Math.abs(ink.y + ink.height / 2 - MOHAMMED.height / 2)).toBeLessThan(30);
    const ref = referenceText("محمد علي", labels.cssFont("card"));
    // Arabic's dots are small: VP8 on the grey card softens them, so the ink box may lose a row or three.
    expect(inkSimilarity(tile, ref, 4)).toBeGreaterThan(0.85);
  });

  it("frames the speaker's tile without covering the label", async () => {
    const rgb = viewer.decoder.latest!;
    const amber = (x: number, y: number) => {
      const i = (y * W + x) * 3;
      return rgb[i] > 190 && rgb[i + 1] > 140 && rgb[i + 2] < 100;
    };
    // The 8 px border along the tile's foot, under the label's columns.
    const k = labelRegion(KIM, "김민수", false);
    for (const x of [k.x + 4, k.x + k.width / 2, k.x + k.width - 4]) expect(amber(x, KIM.height - 3), `border at x=${x}`).toBe(true);
    // The label box keeps its bottom rows: dark, not amber.
    for (const x of [k.x + 4, k.x + k.width - 4]) expect(amber(x, k.y + k.height - 3), `label at x=${x}`).toBe(false);
    expect(amber(DMITRY.x + 320, 3)).toBe(false);
    const shot = process.env.MIX_SCREENSHOT;
    if (shot) writeFileSync(`${shot}-grid.png`, await rgbToPng(rgb, W, H));
  });

  it("keeps names legible in the speaker layout's strip, and the room's name in any script reaches the API", async () => {
    const res = await fetch(`${server.url}/api/rooms/${encodeURIComponent("이름표")}/layout`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ layout: "speaker" }),
    });
    expect(res.status).toBe(200);
    const main = { x: 0, y: 0, width: 1280, height: 576 };
    const strip = { x: 384, y: 576, width: 256, height: 144 };
    let score = 0;
    const waited = eventually(
      () => {
        const luma = frameLuma();
        const k = labelRegion(main, "김민수", false);
        const d = labelRegion(strip, "Дмитрий", true);
        const skip = d.width - labelRegion(strip, "Дмитрий", false).width + 2;
        score = Math.min(
          inkSimilarity(cropLuma(luma, k.x, k.y, k.width, k.height), referenceText("김민수", labels.cssFont())),
          inkSimilarity(cropLuma(luma, d.x + skip, d.y, d.width - skip, d.height), referenceText("Дмитрий", labels.cssFont())),
        );
        // Kim's resized picture in too (until then his old decoder's picture is drawn centred).
        return score > 0.85 && closeTo(viewer.decoder.colourAt(100, 60), { r: 255, g: 0, b: 0 });
      },
      15_000,
      "Kim large, Dmitry legible in the strip",
    );
    await waited.catch((err: Error) => {
      throw new Error(`${err.message} (label match ${score.toFixed(2)}, Kim's corner ${JSON.stringify(viewer.decoder.colourAt(100, 60))})`);
    });
    const shot = process.env.MIX_SCREENSHOT;
    if (shot) writeFileSync(`${shot}-speaker.png`, await rgbToPng(viewer.decoder.latest!, W, H));
  });
});
