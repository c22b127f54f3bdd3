import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { McuPeer } from "../../src/peers/mcuPeer.js";
import type { LinkEstimate } from "../../src/peers/linkEstimate.js";
import { realRoomMedia } from "../../src/rooms/roomMedia.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { closeTo, type Rgb } from "../helpers/mixedStreamDecoder.js";
import { TestClient } from "../helpers/testClient.js";
import { maxGap, missingPackets } from "../helpers/continuity.js";

// Real werift receivers, a real mixer and encoders; only the link estimate is injected: it is emitted on the
// server's own peer of the receiver, as the estimator (adapt-link's) emits it. Timing is generous and the
// assertions are about continuity (no gap in sequence numbers, no long pause in frames), not speed.

const RED: Rgb = { r: 255, g: 0, b: 0 };

describe("each receiver gets the rendition its link and screen afford (werift receivers)", () => {
  let server: RunningServer;
  const clients: TestClient[] = [];
  /** The server's peers, in creation order (one per join). */
  const serverPeers: McuPeer[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    vi.spyOn(realRoomMedia, "mcuPeer").mockImplementation((config) => {
      const peer = new McuPeer(config);
      serverPeers.push(peer);
      return peer;
    });
    server = await startServer({ port: 0, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"] });
  });

  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
    vi.restoreAllMocks();
  });

  /** Per peer fed: emits a `link` of the test's own (the peer's real ones are dropped meanwhile). */
  const injectors = new Map<McuPeer, (estimate: LinkEstimate) => void>();

  /**
   * Emits `estimate` on the server's peer every 500 ms (as the estimator does) until the next call, in place of
   * the real estimator's (it keeps emitting the loopback's figures every 500 ms, which would contradict the
   * injected link: the rung chooser now waits 2 s below the lowest rung before pausing). `probesFail`: the
   * server's probes of this link fail, as they would on the link injected (loopback's would pass).
   */
  function feed(peer: McuPeer, estimate: () => LinkEstimate, probesFail: boolean): void {
    for (const t of timers.splice(0)) clearInterval(t);
    let inject = injectors.get(peer);
    if (!inject) {
      const realEmit = peer.emit.bind(peer);
      let own = false;
      peer.emit = ((event: string, ...args: unknown[]) =>
        event === "link" && !own ? false : realEmit(event as "connected", ...(args as []))) as typeof peer.emit;
      inject = (e) => {
        own = true;
        try {
          peer.emit("link", e);
        } finally {
          own = false;
        }
      };
      injectors.set(peer, inject);
    }
    if (probesFail) peer.probeLink = async () => ({ ok: false, deliveredBps: 100_000, sentBps: 800_000, reason: "loss" });
    else delete (peer as Partial<Pick<McuPeer, "probeLink">>).probeLink;
    const send = inject;
    send(estimate());
    timers.push(setInterval(() => send(estimate()), 500));
  }

  const lastMix = (c: TestClient) => c.messages.filter((m) => m.type === "mix").at(-1);

  it("moves a weak receiver down at a keyframe without a freeze or a gap, pauses it below the lowest rung, and brings it back; the other keeps 720p", async () => {
    const room = "adaptive";
    const alice = new TestClient({ url: server.url, room, name: "Alice", colour: "red", toneHz: 440 });
    const weak = new TestClient({ url: server.url, room, name: "Weak", role: "viewer" });
    const strong = new TestClient({ url: server.url, room, name: "Strong", role: "viewer" });
    clients.push(alice, weak, strong);
    for (const c of [alice, weak, strong]) await c.connect();
    const weakPeer = serverPeers[1];
    for (const c of [weak, strong])
      await eventually(() => closeTo(c.decoder.colourAt(640, 360), RED), 20_000, `${c === weak ? "Weak" : "Strong"} sees Alice`);
    expect(weak.mixKeyframeSizes.at(-1)).toMatchObject({ width: 1280, height: 720 });

    // The link falls to 400 kbit/s: 320x180 (150 kbit/s) is the largest rung it affords.
    const fellAt = performance.now();
    const framesBefore = weak.frameArrivals.length;
    feed(weakPeer, () => ({ availableBps: 400_000, lossFraction: 0.01, rttMs: 160 }), true);
    await eventually(
      () => weak.mixKeyframeSizes.some((k) => k.at > fellAt && k.width === 320 && k.height === 180),
      15_000,
      "a 320x180 keyframe reaches Weak",
    );
    const switchedAt = weak.mixKeyframeSizes.find((k) => k.at > fellAt && k.width === 320)!.at;
    await eventually(() => lastMix(weak)?.type === "mix" && lastMix(weak)?.width === 320, 5000, "Weak is told it gets 320x180");
    await new Promise((r) => setTimeout(r, 2000));
    // Continuity through the switch: every sequence number, and frames all along.
    expect(missingPackets(weak.videoSequence)).toBe(0);
    const around = weak.frameArrivals.slice(framesBefore).filter((t) => t > fellAt - 1000 && t < switchedAt + 2000);
    expect(around.length).toBeGreaterThan(10);
    expect(maxGap(around)).toBeLessThan(1000);
    await eventually(() => closeTo(weak.decoder.colourAt(640, 360), RED), 10_000, "Weak still sees Alice, at the small rung");
    // The strong one never left 720p.
    expect(strong.mixKeyframeSizes.every((k) => k.width === 1280 && k.height === 720)).toBe(true);
    expect(missingPackets(strong.videoSequence)).toBe(0);

    // Below the lowest rung: paused, said so, the sound goes on.
    feed(weakPeer, () => ({ availableBps: 60_000, lossFraction: 0.3, rttMs: 400 }), true);
    await eventually(
      () => lastMix(weak)?.type === "mix" && (lastMix(weak) as { paused: boolean }).paused,
      5000,
      "Weak is told its video paused",
    );
    await new Promise((r) => setTimeout(r, 500));
    const pausedAt = performance.now();
    const audioBefore = weak.audioArrivals.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(weak.videoArrivals.filter((t) => t > pausedAt)).toHaveLength(0);
    expect(weak.audioArrivals.length - audioBefore).toBeGreaterThan(10);
    // The other receiver's video goes on (a count, not a rate: the machine may be busy).
    expect(strong.videoArrivals.filter((t) => t > pausedAt).length).toBeGreaterThan(5);

    // The link recovers: the picture resumes by itself at the lowest rung, then climbs (after a probe of the link
    // passes, or 10 s of headroom where no probe can run).
    feed(weakPeer, () => ({ availableBps: 5_000_000, lossFraction: 0, rttMs: 40 }), false);
    await eventually(
      () => lastMix(weak)?.type === "mix" && lastMix(weak)?.width === 320 && !(lastMix(weak) as { paused: boolean }).paused,
      10_000,
      "Weak's video resumes",
    );
    await eventually(() => lastMix(weak)?.type === "mix" && lastMix(weak)?.width === 640, 25_000, "Weak climbs to 640x360");
    await eventually(() => weak.mixKeyframeSizes.at(-1)?.width === 640, 5000, "a 640x360 keyframe reaches Weak");
    expect(missingPackets(weak.videoSequence)).toBe(0);
    // Nobody takes 320x180 any more: its encoder stopped.
    await eventually(
      () => !(server.rooms.get(room)?.capabilities.mix?.mediaStats.video.outputStreams ?? []).includes("vp8:320x180"),
      5000,
      "the unused rung stops",
    );
    expect(server.rooms.get(room)?.capabilities.mix?.mediaStats.video.outputStreams).toContain("vp8:1280x720");
  }, 120_000);

  it("sends an upright phone an upright mix no larger than its screen, and landscape again when it turns", async () => {
    const room = "upright";
    const bob = new TestClient({ url: server.url, room, name: "Bob", colour: "red" });
    const phone = new TestClient({ url: server.url, room, name: "Phone", role: "viewer" });
    clients.push(bob, phone);
    for (const c of [bob, phone]) await c.connect();
    await eventually(() => closeTo(phone.decoder.colourAt(640, 360), RED), 20_000, "the phone sees Bob");
    phone.send({ type: "display", width: 390, height: 693, pixelRatio: 1, orientation: "portrait" });
    await eventually(
      () => phone.mixKeyframeSizes.at(-1)?.width === 360 && phone.mixKeyframeSizes.at(-1)?.height === 640,
      15_000,
      "a 360x640 keyframe",
    );
    await eventually(() => lastMix(phone)?.type === "mix" && lastMix(phone)?.height === 640, 5000, "the phone is told it gets 360x640");
    // Bob alone fills the upright picture: red at its middle and near its top and bottom.
    await eventually(
      () => [100, 320, 540].every((y) => closeTo(phone.decoder.colourAt(180, y, 360, 640), RED)),
      10_000,
      "Bob fills the upright mix",
    );
    phone.send({ type: "display", width: 844, height: 475, pixelRatio: 1, orientation: "landscape" });
    await eventually(
      () => phone.mixKeyframeSizes.at(-1)?.width === 640 && phone.mixKeyframeSizes.at(-1)?.height === 360,
      15_000,
      "back to a landscape (640x360) mix",
    );
    expect(missingPackets(phone.videoSequence)).toBe(0);
  }, 90_000);

  it("gives an H264 receiver its smaller rung in H264, beside a VP8 receiver on the main one", async () => {
    const room = "h264-rung";
    const carol = new TestClient({ url: server.url, room, name: "Carol", colour: "red" });
    const safari = new TestClient({ url: server.url, room, name: "Safari", role: "viewer", videoCodecs: ["h264"] });
    clients.push(carol, safari);
    for (const c of [carol, safari]) await c.connect();
    await eventually(() => closeTo(safari.decoder.colourAt(640, 360), RED), 20_000, "the H264 viewer sees Carol");
    safari.send({ type: "display", width: 640, height: 360, pixelRatio: 1, orientation: "landscape" });
    await eventually(
      () => lastMix(safari)?.type === "mix" && lastMix(safari)?.width === 640,
      15_000,
      "the H264 viewer is told it gets 640x360",
    );
    const streams = () => server.rooms.get(room)?.capabilities.mix?.mediaStats.video.outputStreams ?? [];
    await eventually(
      () => streams().includes("h264:640x360") && !streams().includes("h264:1280x720"),
      5000,
      "the H264 rung runs, the H264 main one stopped",
    );
    expect(streams()).toContain("vp8:1280x720");
    await eventually(() => closeTo(safari.decoder.colourAt(640, 360), RED), 10_000, "and decodes it");
    expect([...safari.mixCodecsReceived]).toEqual(["h264"]);
    expect(missingPackets(safari.videoSequence)).toBe(0);
  }, 90_000);
});
