import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";

/**
 * Keyframes of the mix on demand (issue 10): the periodic keyframe is 10 s apart by default, so every
 * keyframe seen within these few seconds was asked for, by a new receiver or by a PLI.
 * Bounds: the (300 ms after a PLI, the median of five; first picture 1 s after ICE connects). Each is
 * measured from the event on the client (the PLI sent, the connection state turning "connected"), never
 * from set-up.
 */
describe("MCU keyframes on demand", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];
  const client = (room: string, name: string, role: "sender" | "viewer", colour?: string) => {
    const c = new TestClient({ url: server.url, room, name, role, colour });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  /**
   * The first keyframe's arrival is the server's part (connect -> keyframe asked -> composed, encoded, sent):
   * under 1 s each. The decoded picture adds this test's own decoder, an ffmpeg started at that first frame
   * (10 ms of CPU for the static build, 100-140 ms for Debian's, much longer on a machine at load 15): under
   * 1 s at the median of the joiners, and each under 2.5 s.
   * Measured on a quiet machine: keyframe 60-120 ms, picture 100-150 ms; at load 15-17 on two cores single
   * pictures took up to 1.24 s.
   */
  function expectPromptPictures(joiners: readonly TestClient[]): void {
    const keyframe = joiners.map((j) => j.keyframeArrivals[0] - j.connectedAt!);
    const picture = joiners.map((j) => j.decoder.firstFrameAt! - j.connectedAt!);
    console.log(
      `first keyframe ${keyframe.map((d) => d.toFixed(0)).join(", ")} ms, first picture ${picture.map((d) => d.toFixed(0)).join(", ")} ms after connecting`,
    );
    for (const d of keyframe) expect(d).toBeLessThan(1000);
    const sorted = [...picture].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(1000);
    for (const d of picture) expect(d).toBeLessThan(2500);
  }

  it("shows a lone viewer a picture (name cards) within 1 s of connecting, with nobody sending", async () => {
    const viewers = [client("lonely", "Vic", "viewer")];
    await viewers[0].connect();
    await eventually(() => viewers[0].decoder.firstFrameAt !== undefined, 5000, "a first picture");
    // Two more, each alone in a room of its own.
    for (const name of ["Val", "Viv"]) {
      const v = client(`lonely-${name}`, name, "viewer");
      await v.connect();
      await eventually(() => v.decoder.firstFrameAt !== undefined, 5000, `${name}'s first picture`);
      viewers.push(v);
    }
    expectPromptPictures(viewers);
  });

  it("shows a late joiner a picture within 1 s of connecting", async () => {
    const alice = client("late", "Alice", "sender", "red");
    await alice.connect();
    await eventually(() => alice.decoder.framesDecoded > 30, 10_000, "Alice to see the mix");
    const late: TestClient[] = [];
    // A viewer, a sender (whose own join re-lays the grid), another viewer.
    for (const [name, role] of [
      ["Vic", "viewer"],
      ["Bob", "sender"],
      ["Val", "viewer"],
    ] as const) {
      const c = client("late", name, role, role === "sender" ? "green" : undefined);
      await c.connect();
      await eventually(() => c.decoder.firstFrameAt !== undefined, 5000, `${name}'s first picture`);
      late.push(c);
    }
    expectPromptPictures(late);
  });

  it("answers a receiver's PLI with a keyframe within 300 ms, and sends none unasked", async () => {
    await expectPliAnswered("pli", undefined);
  });

  // Issue 20: Chromium receiving only sends its RTCP from SSRC 1, which werift 0.24 routes to the video sender
  // (by the PLI's media SSRC), where nothing listened: the PLI went unanswered and the counter never moved.
  it("answers a receive-only browser's PLI (sent from SSRC 1) the same way, and counts it", async () => {
    const before = await pliReceived();
    await expectPliAnswered("pli-recvonly", 1);
    expect(await pliReceived()).toBeGreaterThanOrEqual(before + 5);
  });

  async function pliReceived(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('tessera_rtcp_feedback_total{type="pli-received"}'));
    return Number(line?.split(" ").pop() ?? NaN);
  }

  async function expectPliAnswered(room: string, fromSsrc: number | undefined): Promise<void> {
    const alice = client(room, "Alice", "sender", "blue");
    const vic = client(room, "Vic", "viewer");
    await alice.connect();
    await vic.connect();
    await eventually(() => vic.decoder.framesDecoded > 30, 10_000, "Vic to see the mix");
    // Quiet for a second: the join's keyframe is behind us and the periodic one is 10 s away.
    const quietFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    expect(vic.keyframeArrivals.filter((t) => t > quietFrom)).toEqual([]);
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sentAt = performance.now();
      await vic.sendPictureLoss(fromSsrc);
      await eventually(() => vic.keyframeArrivals.some((t) => t > sentAt), 2000, "a keyframe after the PLI");
      answers.push(vic.keyframeArrivals.find((t) => t > sentAt)! - sentAt);
      await new Promise((r) => setTimeout(r, 400));
    }
    console.log(`PLI answered after ${answers.map((a) => a.toFixed(0)).join(", ")} ms`);
    // Quiet machine: 33-75 ms each. With the load average at 10 on two cores (other test runs) single answers
    // took up to 750 ms, the encoding thread getting a fifth of a core; the median stayed near 300. Without
    // keyframes on demand the answer would be the periodic keyframe, up to 10 s away.
    const sorted = [...answers].sort((a, b) => a - b);
    expect(sorted[2]).toBeLessThan(300);
    for (const a of answers) expect(a).toBeLessThan(1000);
    // Alice, who asked for nothing, got the same keyframes (one encode for every receiver).
    expect(alice.keyframeArrivals.filter((t) => t > quietFrom).length).toBeGreaterThanOrEqual(5);
  }
});
