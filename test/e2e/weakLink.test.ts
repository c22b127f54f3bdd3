// Issue 20, section 4: a real Chromium receiver on a weak link (test/helpers/weakLink.ts: its own network
// namespace, tbf at 400 kbit/s both ways, a relay adding 80 ms and 1 % loss each way) beside an unshaped
// Chromium receiver in the same MCU room, with two werift senders. Timeline: 10 s unshaped, 30 s shaped, 25 s
// freed; the page's getStats, the control API's link figures and /metrics sampled every second.
//
// What it asserts is what the link side delivers (PLIs answered, retransmissions held to the estimate, the
// estimate falling and recovering, the unshaped receiver unaffected, audio FEC); the renditions' part goes in
// assertRenditions below. Needs root (network namespaces); with CI=true it fails rather than skips without.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { testPatternClip } from "../helpers/fixtures.js";
import { freePort } from "../helpers/freePort.js";
import { TestClient } from "../helpers/testClient.js";
import { WeakLink, weakLinkUnavailable } from "../helpers/weakLink.js";

const ROOM = "weak-link";
const WARM_S = 10;
const SHAPED_S = 30;
const FREED_S = 25;
const RATE_KBIT = 400;
const DELAY_MS = 80;
const LOSS = 0.01;
const API_TOKEN = "weak-link-test-api-token";

interface PageStats {
  framesDecoded: number;
  keyFramesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  freezeCount: number;
  totalFreezesDuration: number;
  pliCount: number;
  nackCount: number;
  videoPacketsLost: number;
  videoPacketsReceived: number;
  concealedSamples: number;
  totalSamplesReceived: number;
  audioPacketsLost: number;
  fecPacketsReceived: number;
}

interface ServerLink {
  availableBps: number;
  lossFraction: number;
  rttMs: number | null;
  sendBps: number;
  queueDelayMs: number;
  nackedPackets: number;
  retransmittedPackets: number;
  abandonedPackets: number;
  transportCc: boolean;
  remb: boolean;
}

interface Sample {
  /** Seconds since the timeline began. */
  t: number;
  phase: "warm" | "shaped" | "freed";
  a: PageStats;
  b: PageStats;
  linkA: ServerLink | null;
  linkB: ServerLink | null;
  pliReceived: number;
}

const UNAVAILABLE = weakLinkUnavailable();

function describeWeakLink(name: string, suite: () => void): void {
  if (!UNAVAILABLE) return describeWithChromium(name, suite);
  if (process.env.CI === "true") {
    describe(name, () => {
      it("requires network namespaces", () => {
        throw new Error(`CI=true and ${UNAVAILABLE}`);
      });
    });
    return;
  }
  console.warn(`skipping the weak-link test: ${UNAVAILABLE}`);
  describe.skip(`${name} (skipped: ${UNAVAILABLE})`, suite);
}

/** Every RTCPeerConnection the page makes, kept for getStats (the page exposes none). */
function keepPeerConnections(): void {
  const pcs: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
    }
  } as typeof RTCPeerConnection;
}

async function pageStats(tp: TestPage): Promise<PageStats> {
  return tp.page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = pcs[pcs.length - 1];
    const all = pc ? ([...(await pc.getStats()).values()] as Record<string, number>[]) : [];
    const video = all.find((s) => (s.type as unknown) === "inbound-rtp" && (s.kind as unknown) === "video") ?? {};
    const audio = all.find((s) => (s.type as unknown) === "inbound-rtp" && (s.kind as unknown) === "audio") ?? {};
    return {
      framesDecoded: video.framesDecoded ?? 0,
      keyFramesDecoded: video.keyFramesDecoded ?? 0,
      frameWidth: video.frameWidth ?? 0,
      frameHeight: video.frameHeight ?? 0,
      freezeCount: video.freezeCount ?? 0,
      totalFreezesDuration: video.totalFreezesDuration ?? 0,
      pliCount: video.pliCount ?? 0,
      nackCount: video.nackCount ?? 0,
      videoPacketsLost: video.packetsLost ?? 0,
      videoPacketsReceived: video.packetsReceived ?? 0,
      concealedSamples: audio.concealedSamples ?? 0,
      totalSamplesReceived: audio.totalSamplesReceived ?? 0,
      audioPacketsLost: audio.packetsLost ?? 0,
      fecPacketsReceived: audio.fecPacketsReceived ?? 0,
    };
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};
const kbit = (bps: number) => `${Math.round(bps / 1000)} kbit/s`;

/** The change of a counter between two samples. */
const delta = (from: Sample, to: Sample, f: (s: Sample) => number) => f(to) - f(from);

/**
 * The renditions' part of issue 20 (branch adapt-mix) goes here, on the same timeline: within 5 s of the
 * shaping B plays a lower rung at >= 24 fps with no freeze over 500 ms afterwards; A keeps 720p; 15 s after the
 * shaping is lifted B is back at 720p. Until renditions exist the mix is 1280x720 for everyone, whatever the
 * link, so there is nothing of theirs to assert yet. B's audio concealment is logged, not asserted: while the
 * 720p mix alone overfills the 400 kbit/s link, the audio packets share its losses whatever their FEC does;
 * with B on a rung under its link, the issue's bound (concealed < 5 % of samples) belongs here.
 */
function assertRenditions(_timeline: readonly Sample[]): void {}

describeWeakLink("a receiver on a weak link beside an unshaped one (MCU)", () => {
  let server: RunningServer;
  let link: WeakLink;
  const pool = new BrowserPool();
  const senders: TestClient[] = [];
  let a: TestPage;
  let b: TestPage;
  let ids: { a: string; b: string };

  beforeAll(async () => {
    const port = await freePort();
    // 20 ICE ports of the server's, in a range nothing else here uses (the relay listens on them in the namespace).
    const firstIce = 43_000 + Math.floor(Math.random() * 700) * 20;
    const icePortRange = [firstIce, firstIce + 19] as const;
    server = await startServer({ port, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], icePortRange, apiToken: API_TOKEN }, silentLogger);
    link = await WeakLink.create({ icePorts: icePortRange, tcpPorts: [port], delayMs: 0, loss: 0 });
    for (const [name, hz] of [["Sender 1", 440], ["Sender 2", 660]] as const) {
      const sender = new TestClient({ url: server.url, room: ROOM, name, clip: testPatternClip(4, "640x480", "600k"), toneHz: hz, decode: false });
      senders.push(sender);
      await sender.connect();
    }
    a = await pool.openPage(await pool.launch(), "A (unshaped)", keepPeerConnections);
    b = await pool.openPage(await pool.launch([], {}, link.chromiumPath), "B (weak link)", keepPeerConnections);
    for (const [tp, name] of [[a, "A"], [b, "B"]] as const) {
      await tp.page.goto(`${server.url}/?room=${ROOM}&name=${name}&role=viewer`);
      await waitConnected(tp);
    }
    ids = { a: await a.page.evaluate(() => window.tessera.id!), b: await b.page.evaluate(() => window.tessera.id!) };
  }, 120_000);

  afterAll(async () => {
    await pool.closeAll();
    await Promise.all(senders.map((s) => s.close()));
    await link?.close();
    await server?.close();
  });

  async function serverLinks(): Promise<{ a: ServerLink | null; b: ServerLink | null }> {
    const detail = (await (await fetch(`${server.url}/api/rooms/${ROOM}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).json()) as { participants: { id: string; link: ServerLink | null }[] };
    const of = (id: string) => detail.participants.find((p) => p.id === id)?.link ?? null;
    return { a: of(ids.a), b: of(ids.b) };
  }

  async function pliReceived(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('tessera_rtcp_feedback_total{type="pli-received"}'));
    return Number(line?.split(" ").pop() ?? NaN);
  }

  it(
    "holds the shaped receiver's sending rate to its link, answers its PLIs, protects its audio, leaves the other alone, and recovers",
    async () => {
      const timeline: Sample[] = [];
      const phaseStart = new Map<Sample["phase"], number>();
      const start = performance.now();
      const phases: [Sample["phase"], number][] = [
        ["warm", WARM_S],
        ["shaped", SHAPED_S],
        ["freed", FREED_S],
      ];
      for (const [phase, seconds] of phases) {
        if (phase === "shaped") {
          link.shape(RATE_KBIT);
          link.impair(DELAY_MS, LOSS);
        }
        if (phase === "freed") {
          link.shape(undefined);
          link.impair(0, 0);
        }
        // By the clock, a sample a second (fewer when a busy machine makes each take longer); bounded in count.
        phaseStart.set(phase, (performance.now() - start) / 1000);
        const end = performance.now() + seconds * 1000;
        for (let i = 0; i < seconds * 2 && performance.now() < end; i++) {
          const due = Math.min(end, performance.now() + 1000);
          const [sa, sb, links, pli] = await Promise.all([pageStats(a), pageStats(b), serverLinks(), pliReceived()]);
          timeline.push({ t: Math.round((performance.now() - start) / 100) / 10, phase, a: sa, b: sb, linkA: links.a, linkB: links.b, pliReceived: pli });
          await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        }
      }
      /** The samples of a phase from `fromS` seconds after it began (negative: before its end). */
      const during = (phase: Sample["phase"], fromS = 0) => {
        const begin = phaseStart.get(phase)!;
        const length = phases.find(([p]) => p === phase)![1];
        return timeline.filter((s) => s.phase === phase && s.t - begin >= (fromS < 0 ? length + fromS : fromS));
      };
      /** The first sample of a phase from `fromS` seconds (negative: before its end), or its last sample. */
      const at = (phase: Sample["phase"], fromS: number | "last") => {
        const samples = fromS === "last" ? during(phase) : during(phase, fromS);
        return fromS === "last" ? samples[samples.length - 1] : samples[0];
      };
      const seconds = (from: Sample, to: Sample) => Math.max(1, to.t - from.t);
      for (const s of timeline) {
        console.log(
          `${s.t.toFixed(1)} ${s.phase.padEnd(6)} A ${s.a.frameWidth}x${s.a.frameHeight} f${s.a.framesDecoded} | B ${s.b.frameWidth}x${s.b.frameHeight} f${s.b.framesDecoded} pli${s.b.pliCount} nack${s.b.nackCount} ` +
            `| server->B ${kbit(s.linkB?.sendBps ?? 0)} est ${kbit(s.linkB?.availableBps ?? 0)} loss ${((s.linkB?.lossFraction ?? 0) * 100).toFixed(0)}% rtt ${s.linkB?.rttMs ?? "-"} q ${s.linkB?.queueDelayMs ?? "-"} rtx ${s.linkB?.retransmittedPackets ?? 0}/${s.linkB?.nackedPackets ?? 0} ` +
            `| server->A ${kbit(s.linkA?.sendBps ?? 0)} est ${kbit(s.linkA?.availableBps ?? 0)} | pli-received ${s.pliReceived}`,
        );
      }
      const context = async () => `${await describePage(b)}\n${await describePage(a)}`;

      // Unshaped: both play, and B's browser sends transport-cc feedback on the mix.
      const warmEnd = at("warm", "last");
      expect(warmEnd.a.framesDecoded, await context()).toBeGreaterThan(0);
      expect(warmEnd.b.framesDecoded, await context()).toBeGreaterThan(0);
      expect(warmEnd.linkB?.transportCc).toBe(true);

      // Shaped, after 5 s to settle.
      const shaped = during("shaped", 5);
      const shapedFirst = at("shaped", 0);
      const shapedLast = at("shaped", "last");
      const shapedS = seconds(shapedFirst, shapedLast);
      const sendB = shaped.map((s) => s.linkB!.sendBps);
      const sendA = shaped.map((s) => s.linkA!.sendBps);
      const estimateB = shaped.map((s) => s.linkB!.availableBps);
      // What goes to B never rises past what A (same mix, no retransmissions to speak of) gets by more than a
      // quarter: retransmissions are held to B's estimate, which the mix alone already exceeds.
      expect(Math.max(...sendB)).toBeLessThan(Math.max(...sendA) * 1.25 + 100_000);
      expect(median(sendB)).toBeLessThan(2_000_000);
      const nacked = delta(at("shaped", 5), shapedLast, (s) => s.linkB!.nackedPackets);
      const resent = delta(at("shaped", 5), shapedLast, (s) => s.linkB!.retransmittedPackets);
      console.log(`shaped: B NACKed ${nacked} packets, ${resent} resent; server->B median ${kbit(median(sendB))}, A ${kbit(median(sendA))}; B's estimate median ${kbit(median(estimateB))}`);
      expect(resent).toBeLessThanOrEqual(Math.max(20, nacked * 0.25));
      // The estimate falls to about the link (400 kbit/s), A's stays high.
      expect(median(estimateB.slice(-15))).toBeLessThan(RATE_KBIT * 1000 * 1.75);
      expect(median(shaped.map((s) => s.linkA!.availableBps))).toBeGreaterThan(1_000_000);
      // B's PLIs reach the server and are answered: keyframes beyond the periodic one (10 s) reach A too.
      const plisSent = delta(shapedFirst, shapedLast, (s) => s.b.pliCount);
      const plisCounted = delta(shapedFirst, shapedLast, (s) => s.pliReceived);
      const keyframesA = delta(shapedFirst, shapedLast, (s) => s.a.keyFramesDecoded);
      console.log(`shaped: B sent ${plisSent} PLIs, the server counted ${plisCounted}; A decoded ${keyframesA} keyframes in ${shapedS.toFixed(1)} s`);
      // Some PLIs are lost on the way (1 % loss, a full tbf queue); each one counted brings a keyframe (200 ms
      // apart at most), on top of the periodic one every 10 s.
      expect(plisCounted).toBeGreaterThanOrEqual(Math.floor(plisSent / 2));
      if (plisCounted >= 2) expect(keyframesA).toBeGreaterThan(Math.ceil(shapedS / 10));
      // A is unaffected. On the server's side exactly: its link is not B's, its estimate never falls, it loses
      // nothing, and it is sent what it was sent before. In A's browser, relative to its own unshaped phase and
      // with room for the machine: on two cores shared with other test runs (load 15-28 while this was written)
      // the mix's own frame rate and the server's audio clock swing with the load (A at 5-18 fps and 10-50 %
      // concealed *before* any shaping), which is not what this test is about. What it must never see is B's
      // fate: a picture that stops (B: 0.1-1 fps, frozen nearly all the time).
      const warmFirst = at("warm", 2);
      const warmS = seconds(warmFirst, warmEnd);
      const aFpsWarm = delta(warmFirst, warmEnd, (s) => s.a.framesDecoded) / warmS;
      const aConcealedWarm = delta(warmFirst, warmEnd, (s) => s.a.concealedSamples) / Math.max(1, delta(warmFirst, warmEnd, (s) => s.a.totalSamplesReceived));
      const aFreezeWarm = delta(warmFirst, warmEnd, (s) => s.a.totalFreezesDuration) / warmS;
      const aFps = delta(shapedFirst, shapedLast, (s) => s.a.framesDecoded) / shapedS;
      const aFreeze = delta(shapedFirst, shapedLast, (s) => s.a.totalFreezesDuration);
      const aConcealed = delta(shapedFirst, shapedLast, (s) => s.a.concealedSamples) / Math.max(1, delta(shapedFirst, shapedLast, (s) => s.a.totalSamplesReceived));
      const bConcealed = delta(shapedFirst, shapedLast, (s) => s.b.concealedSamples) / Math.max(1, delta(shapedFirst, shapedLast, (s) => s.b.totalSamplesReceived));
      const bFec = delta(shapedFirst, shapedLast, (s) => s.b.fecPacketsReceived);
      const bFps = delta(shapedFirst, shapedLast, (s) => s.b.framesDecoded) / shapedS;
      console.log(`warm: A ${aFpsWarm.toFixed(1)} fps, froze ${(aFreezeWarm * 100).toFixed(1)} % of the time, concealed ${(aConcealedWarm * 100).toFixed(1)} %`);
      console.log(`shaped: A ${aFps.toFixed(1)} fps, froze ${aFreeze.toFixed(2)} s, concealed ${(aConcealed * 100).toFixed(1)} %; B ${bFps.toFixed(1)} fps, concealed ${(bConcealed * 100).toFixed(1)} % (FEC packets ${bFec})`);
      expect(Math.max(...shaped.map((s) => s.linkA!.lossFraction))).toBeLessThan(0.05);
      expect(median(sendA)).toBeGreaterThan(0.7 * median(during("warm", 2).map((s) => s.linkA!.sendBps)));
      // A's picture goes on: frames decoded in every 5 s of the shaped phase, at half its unshaped rate or more,
      // frozen under a quarter of the time.
      for (let from = 0; from + 5 <= SHAPED_S; from += 5) {
        const window = during("shaped", from).filter((s) => s.t - (phaseStart.get("shaped") ?? 0) < from + 5);
        if (window.length >= 2) expect(window[window.length - 1].a.framesDecoded, `A's frames ${from}-${from + 5} s into the shaping`).toBeGreaterThan(window[0].a.framesDecoded);
      }
      expect(aFps).toBeGreaterThan(aFpsWarm * 0.5);
      expect(aFreeze).toBeLessThan(0.25 * shapedS + aFreezeWarm * shapedS);
      expect(aConcealed).toBeLessThan(aConcealedWarm + 0.3);

      // Freed: B decodes again, at about A's rate, over the last 10 s, and its estimate climbs back above what the
      // mix needs (15 % a second from ~300 kbit/s: about 10 s to 1.2 Mbit/s).
      const freedLast = at("freed", "last");
      const freedFrom = at("freed", -10);
      const bFpsFreed = delta(freedFrom, freedLast, (s) => s.b.framesDecoded) / seconds(freedFrom, freedLast);
      const aFpsFreed = delta(freedFrom, freedLast, (s) => s.a.framesDecoded) / seconds(freedFrom, freedLast);
      const recovered = during("freed", -5).map((s) => s.linkB!.availableBps);
      const sentFreed = during("freed", -10).map((s) => s.linkB!.sendBps);
      console.log(`freed: B ${bFpsFreed.toFixed(1)} fps over the last 10 s (A ${aFpsFreed.toFixed(1)}); estimate ${kbit(median(recovered))}, sending ${kbit(median(sentFreed))}`);
      expect(bFpsFreed).toBeGreaterThan(aFpsFreed * 0.7);
      expect(median(recovered)).toBeGreaterThan(Math.max(1_000_000, median(sentFreed)));

      assertRenditions(timeline);
    },
    (WARM_S + SHAPED_S + FREED_S) * 1000 + 120_000,
  );
});
