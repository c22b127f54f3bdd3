// Issue 20, section 4: a real Chromium receiver on a weak link (test/helpers/weakLink.ts: its own network
// namespace, tbf at 400 kbit/s both ways, a relay adding 80 ms and 1 % loss each way) beside an unshaped
// Chromium receiver in the same MCU room, with two werift senders. Timeline: 10 s unshaped, 30 s shaped, 28 s
// freed; the page's getStats, its presented frames, its `mix` state, the control API's link figures and /metrics
// sampled every second.
//
// It asserts what the link side delivers (PLIs answered, retransmissions held to the estimate, the estimate
// falling and recovering, the unshaped receiver unaffected, audio FEC) and, in assertRenditions, what the
// receivers see of the renditions (issue 20 §4) through the whole shaped period: the server probes B's link
// before any move up (LinkProbe), so B must stay on its lower rung inside the link, and be back at 720p
// within 15 s of the link freed. Each sample line ends with B's probes (passed/run, and the last one's figures). The senders are in-process werift clients replaying encoded
// clips (nothing to nice: no encoder, no child process). Needs root (network namespaces); with CI=true it fails
// rather than skips without.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { testPatternClip } from "../helpers/fixtures.js";
import { freePort } from "../helpers/freePort.js";
import { TestClient } from "../helpers/testClient.js";
import { WeakLink, weakLinkUnavailable } from "../helpers/weakLink.js";
import type { LinkReport } from "../../src/peers/linkMonitor.js";

const ROOM = "weak-link";
const WARM_S = 10;
const SHAPED_S = 30;
const FREED_S = 34;
/** B is back at 720p by then after the shaping is lifted (issue 20 §4). */
const RECOVERED_S = 15;
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
  /** getStats' own frame rate of the mix (0 before any). */
  framesPerSecond: number;
  /** The longest gap between frames the page presented since the last sample, ms (requestVideoFrameCallback on #mixed): a freeze while it lasts, which getStats reports only once it has ended. */
  maxFrameGapMs: number;
  /** The server's last `mix` message (window.tessera.mix). */
  mix: { width: number; height: number; paused: boolean } | null;
}

/** A participant's link as the control API sends it (JSON: an RTT not yet measured is null). */
type ServerLink = Omit<LinkReport, "rttMs"> & { rttMs: number | null };

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
  // The gaps between presented frames of the mix, the longest since the last read (a freeze as it happens).
  const gaps = { last: 0, max: 0 };
  (window as unknown as { __gaps: typeof gaps }).__gaps = gaps;
  const watch = () => {
    const video = document.querySelector<HTMLVideoElement>("#mixed");
    if (!video) return void setTimeout(watch, 200);
    const onFrame = (now: number) => {
      if (gaps.last > 0) gaps.max = Math.max(gaps.max, now - gaps.last);
      gaps.last = now;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  document.addEventListener("DOMContentLoaded", watch);
}

async function pageStats(tp: TestPage): Promise<PageStats> {
  return tp.page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = pcs[pcs.length - 1];
    const all = pc ? ([...(await pc.getStats()).values()] as Record<string, number>[]) : [];
    const video = all.find((s) => (s.type as unknown) === "inbound-rtp" && (s.kind as unknown) === "video") ?? {};
    const audio = all.find((s) => (s.type as unknown) === "inbound-rtp" && (s.kind as unknown) === "audio") ?? {};
    const gaps = (window as unknown as { __gaps: { last: number; max: number } }).__gaps;
    // A gap still open counts up to now.
    const maxFrameGapMs = Math.max(gaps.max, gaps.last > 0 ? performance.now() - gaps.last : 0);
    gaps.max = 0;
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
      framesPerSecond: video.framesPerSecond ?? 0,
      maxFrameGapMs: Math.round(maxFrameGapMs),
      mix: window.tessera.mix,
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

/** The rung the page plays (getStats' decoded size), as "WxH", "-" before any. */
const size = (p: PageStats) => (p.frameWidth > 0 ? `${p.frameWidth}x${p.frameHeight}` : "-");

/**
 * The renditions' part of issue 20, section 4, on the same timeline: within 5 s of the shaping B plays a lower
 * rung, from then on at >= 24 fps with no freeze over 500 ms and its audio concealed under 5 %; A keeps 720p
 * throughout; 15 s after the shaping is lifted B is back at 720p.
 *
 * The frame rate: on this machine (2 cores shared with other test runs, load 8-15) the mix itself is encoded
 * at 15-25 fps whatever the links, so A, unshaped, sees the same: B's rate is held to 24 fps or, when A in the
 * same window gets less, to 80 % of A's (docs/performance.md has the figures). A freeze: getStats counts one
 * only once it has ended, so a freeze still going on is seen by the page's presented frames
 * (requestVideoFrameCallback, the longest gap between two samples) and by framesDecoded not moving.
 */
function assertRenditions(timeline: readonly Sample[], starts: { shaped: number; freed: number }): void {
  const shaped = timeline.filter((s) => s.phase === "shaped");
  const freed = timeline.filter((s) => s.phase === "freed");
  const unshaped = timeline.filter((s) => s.phase !== "shaped" && s.t >= 2);
  // A: 720p all along (the first seconds are the page's first keyframe and display report).
  const aSizes = [...new Set(timeline.filter((s) => s.t >= 3).map((s) => size(s.a)))];
  console.log(
    `renditions: A played ${aSizes.join(", ")}; B warm ${[...new Set(unshaped.filter((s) => s.phase === "warm").map((s) => size(s.b)))].join(", ")}`,
  );
  expect.soft(aSizes, "A, unshaped, keeps 1280x720").toEqual(["1280x720"]);
  expect
    .soft(
      timeline.filter((s) => s.phase === "warm" && s.t >= 3).map((s) => s.b.frameWidth),
      "B at 720p before the shaping",
    )
    .toContain(1280);

  // B goes down within 5 s of the shaping.
  const down = shaped.find((s) => s.b.frameWidth > 0 && s.b.frameWidth < 1280);
  const downAfter = down ? down.t - starts.shaped : Infinity;
  console.log(
    `renditions: B on ${down ? size(down.b) : "no lower rung"} ${downAfter.toFixed(1)} s into the shaping; rungs while shaped: ${shaped.map((s) => (s.b.mix?.paused ? "paused" : size(s.b))).join(" ")}`,
  );
  expect.soft(downAfter, "B plays a lower rung within 5 s of the shaping").toBeLessThanOrEqual(5);

  // From then on, through the whole shaped period: playing, never paused, at the frame rate, no freeze over
  // 500 ms. A move up is probed first (LinkProbe: the link must carry the next rung's rate for 500 ms), so B
  // stays on its rung inside the 400 kbit/s link, and a probe that fails must not freeze it either.
  const from = Math.max(down?.t ?? Infinity, starts.shaped + 5);
  const movedUp = shaped.find((s) => s.t > from && Math.max(s.b.frameWidth, s.b.mix?.width ?? 0) > down!.b.frameWidth);
  const after = shaped.filter((s) => s.t >= from);
  console.log(
    `renditions: B moved up while shaped ${movedUp ? `at ${(movedUp.t - starts.shaped).toFixed(1)} s into the shaping, to ${movedUp.b.mix?.width}x${movedUp.b.mix?.height}` : "never"}; link probes ${after.at(-1)?.linkB?.probes ?? 0} (passed ${after.at(-1)?.linkB?.probesPassed ?? 0})`,
  );
  expect.soft(movedUp, "B moves up inside the shaped link").toBeUndefined();
  expect(after.length, "samples of the shaped period after B went down and its first 5 s").toBeGreaterThanOrEqual(SHAPED_S - 10);
  const first = after[0];
  const last = after[after.length - 1];
  const span = last.t - first.t;
  const bFps = (last.b.framesDecoded - first.b.framesDecoded) / span;
  const aFps = (last.a.framesDecoded - first.a.framesDecoded) / span;
  const gaps = after.map((s) => s.b.maxFrameGapMs);
  // What the machine does to everyone (A, unshaped, stalls as long in the same second) is not B's link.
  const longGaps = after
    .filter((s) => s.b.maxFrameGapMs > Math.max(500, s.a.maxFrameGapMs + 100))
    .map((s) => `${s.t}: B ${s.b.maxFrameGapMs} ms, A ${s.a.maxFrameGapMs} ms`);
  const stalls = after
    .slice(1)
    .filter((s, i) => s.b.framesDecoded === after[i].b.framesDecoded)
    .map((s) => s.t);
  // getStats' freezes that ended within the window: the longest in an interval is at least their mean.
  const longestFreeze = (to: PageStats, from: PageStats) => {
    const n = to.freezeCount - from.freezeCount;
    return n > 0 ? (to.totalFreezesDuration - from.totalFreezesDuration) / n : 0;
  };
  const longFreezes = after
    .slice(1)
    .map((s, i) => ({ t: s.t, b: longestFreeze(s.b, after[i].b), a: longestFreeze(s.a, after[i].a) }))
    .filter((f) => f.b > Math.max(0.5, f.a + 0.1))
    .map((f) => `${f.t}: B ${f.b.toFixed(2)} s, A ${f.a.toFixed(2)} s`);
  const concealed =
    (last.b.concealedSamples - first.b.concealedSamples) / Math.max(1, last.b.totalSamplesReceived - first.b.totalSamplesReceived);
  const aConcealed =
    (last.a.concealedSamples - first.a.concealedSamples) / Math.max(1, last.a.totalSamplesReceived - first.a.totalSamplesReceived);
  console.log(
    `renditions: shaped, from B's first lower-rung frame (${span.toFixed(1)} s): B ${bFps.toFixed(1)} fps (getStats ${after.map((s) => s.b.framesPerSecond).join(" ")}), A ${aFps.toFixed(1)} fps; ` +
      `B's longest presented-frame gap per sample ${gaps.join(" ")} ms; decoding stalled at ${stalls.join(" ") || "none"}; ` +
      `ended freezes ${bFreezes(after)}; audio concealed B ${(concealed * 100).toFixed(1)} %, A ${(aConcealed * 100).toFixed(1)} %`,
  );
  expect
    .soft(
      after.filter((s) => s.b.mix?.paused).map((s) => s.t),
      "B's video paused while its link affords the lowest rung",
    )
    .toEqual([]);
  expect.soft(stalls, "B decodes frames in every second after going down").toEqual([]);
  expect.soft(longGaps, "B's gaps between presented frames over 500 ms (and longer than A's in the same second)").toEqual([]);
  expect.soft(longFreezes, "B's freezes getStats reported over 500 ms (and longer than A's)").toEqual([]);
  expect.soft(bFps, `B's frame rate on the lower rung (A: ${aFps.toFixed(1)} fps)`).toBeGreaterThanOrEqual(Math.min(24, 0.8 * aFps));
  // The server's audio clock swings with the machine's load: A, unshaped, conceals 5-11 % in the same window
  // on a busy run (docs/performance.md). What B's link may add on its rung is under 5 %.
  expect
    .soft(concealed, `B's audio concealed on the lower rung (A: ${(aConcealed * 100).toFixed(1)} %)`)
    .toBeLessThan(0.05 + Math.max(0, aConcealed - 0.02));

  // Back at 720p within 15 s after the shaping is lifted, and staying there: a probe passes 5 s after the last
  // failed one at most, and the next 2 s after the move up (docs/performance.md has the runs).
  const back = freed.filter((s) => s.t - starts.freed >= RECOVERED_S);
  const up = freed.find((s) => s.b.frameWidth === 1280);
  console.log(
    `renditions: B back at 1280x720 ${up ? (up.t - starts.freed).toFixed(1) : "never"} s after the shaping was lifted; rungs while freed: ${freed.map((s) => (s.b.mix?.paused ? "paused" : size(s.b))).join(" ")}`,
  );
  expect.soft(back.length, "samples after RECOVERED_S").toBeGreaterThan(0);
  expect
    .soft(
      back.map((s) => size(s.b)),
      `B at 720p from ${RECOVERED_S} s after the shaping`,
    )
    .toEqual(back.map(() => "1280x720"));
}

/** B's freezes that getStats reported in a window: count and total seconds. */
function bFreezes(window: readonly Sample[]): string {
  const first = window[0];
  const last = window[window.length - 1];
  return `${last.b.freezeCount - first.b.freezeCount} (${(last.b.totalFreezesDuration - first.b.totalFreezesDuration).toFixed(2)} s)`;
}

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
    server = await startServer(
      { port, host: "127.0.0.1", iceHostAddresses: ["127.0.0.1"], icePortRange, apiToken: API_TOKEN },
      silentLogger,
    );
    link = await WeakLink.create({ icePorts: icePortRange, tcpPorts: [port], delayMs: 0, loss: 0 });
    for (const [name, hz] of [
      ["Sender 1", 440],
      ["Sender 2", 660],
    ] as const) {
      const sender = new TestClient({
        url: server.url,
        room: ROOM,
        name,
        clip: testPatternClip(4, "640x480", "600k"),
        toneHz: hz,
        decode: false,
      });
      senders.push(sender);
      await sender.connect();
    }
    // A laptop's 1366x900 window at 125 %: the stage (about 1060 CSS px wide) takes the 1280x720 rung, as the
    // issue's "the other keeps 720p" needs; at 100 % the server rightly sends it no more than 640x360.
    const screen = { deviceScaleFactor: 1.25 };
    a = await pool.openPage(await pool.launch(), "A (unshaped)", keepPeerConnections, screen);
    b = await pool.openPage(await pool.launch([], {}, link.chromiumPath), "B (weak link)", keepPeerConnections, screen);
    for (const [tp, name] of [
      [a, "A"],
      [b, "B"],
    ] as const) {
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
    const detail = (await (
      await fetch(`${server.url}/api/rooms/${ROOM}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
    ).json()) as { participants: { id: string; link: ServerLink | null }[] };
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
          timeline.push({
            t: Math.round((performance.now() - start) / 100) / 10,
            phase,
            a: sa,
            b: sb,
            linkA: links.a,
            linkB: links.b,
            pliReceived: pli,
          });
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
          `${s.t.toFixed(1)} ${s.phase.padEnd(6)} A ${size(s.a)} f${s.a.framesDecoded} ${s.a.framesPerSecond}fps gap${s.a.maxFrameGapMs} | B ${size(s.b)} mix ${s.b.mix?.paused ? "paused" : `${s.b.mix?.width}x${s.b.mix?.height}`} f${s.b.framesDecoded} ${s.b.framesPerSecond}fps gap${s.b.maxFrameGapMs} frz${s.b.freezeCount}/${s.b.totalFreezesDuration.toFixed(1)}s pli${s.b.pliCount} nack${s.b.nackCount} ` +
            `| server->B ${kbit(s.linkB?.sendBps ?? 0)} est ${kbit(s.linkB?.availableBps ?? 0)} loss ${((s.linkB?.lossFraction ?? 0) * 100).toFixed(0)}% rtt ${s.linkB?.rttMs ?? "-"} q ${s.linkB?.queueDelayMs ?? "-"} rtx ${s.linkB?.retransmittedPackets ?? 0}/${s.linkB?.nackedPackets ?? 0} probes ${s.linkB?.probesPassed ?? 0}/${s.linkB?.probes ?? 0} ${s.linkB?.lastProbe ? `(${kbit(s.linkB.lastProbe.targetBps)}: ${s.linkB.lastProbe.reason}, sent ${kbit(s.linkB.lastProbe.sentBps)}, got ${kbit(s.linkB.lastProbe.deliveredBps ?? 0)})` : ""} ` +
            `| server->A ${kbit(s.linkA?.sendBps ?? 0)} est ${kbit(s.linkA?.availableBps ?? 0)} | pli-received ${s.pliReceived}`,
        );
      }
      const context = async () => `${await describePage(b)}\n${await describePage(a)}`;
      // First, so that its figures are logged whatever else fails (its expectations are soft: all are reported).
      assertRenditions(timeline, { shaped: phaseStart.get("shaped")!, freed: phaseStart.get("freed")! });

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
      console.log(
        `shaped: B NACKed ${nacked} packets, ${resent} resent; server->B median ${kbit(median(sendB))}, A ${kbit(median(sendA))}; B's estimate median ${kbit(median(estimateB))}`,
      );
      expect(resent).toBeLessThanOrEqual(Math.max(20, nacked * 0.25));
      // The estimate falls to about the link (400 kbit/s) within 5 s, A's stays high. Afterwards B's rung
      // (320x180, ~200 kbit/s) does not fill the link and nothing probes it, so the estimate grows again, losslessly,
      // 15 % a second until the next rung up overfills the link (docs/performance.md).
      const estimateB5 = during("shaped")
        .filter((s) => s.t - phaseStart.get("shaped")! <= 5)
        .map((s) => s.linkB!.availableBps);
      console.log(
        `shaped: B's estimate, first 5 s ${estimateB5.map(kbit).join(", ")}; last 15 s median ${kbit(median(estimateB.slice(-15)))}`,
      );
      expect(Math.min(...estimateB5)).toBeLessThan(RATE_KBIT * 1000 * 1.75);
      expect(median(shaped.map((s) => s.linkA!.availableBps))).toBeGreaterThan(1_000_000);
      // B's PLIs reach the server and are answered: keyframes beyond the periodic one (10 s) reach A too.
      const plisSent = delta(shapedFirst, shapedLast, (s) => s.b.pliCount);
      const plisCounted = delta(shapedFirst, shapedLast, (s) => s.pliReceived);
      const keyframesB = delta(shapedFirst, shapedLast, (s) => s.b.keyFramesDecoded);
      console.log(
        `shaped: B sent ${plisSent} PLIs, the server counted ${plisCounted}; B decoded ${keyframesB} keyframes in ${shapedS.toFixed(1)} s`,
      );
      // Some PLIs are lost on the way (1 % loss, a full tbf queue); each one counted brings a keyframe of B's own
      // rung (200 ms apart at most; A, on another rung, no longer sees them), on top of the periodic one every
      // 10 s and the one B's move to a lower rung waits for.
      expect(plisCounted).toBeGreaterThanOrEqual(Math.floor(plisSent / 2));
      if (plisCounted >= 2) expect(keyframesB).toBeGreaterThan(Math.ceil(shapedS / 10));
      // A is unaffected. On the server's side exactly: its link is not B's, its estimate never falls, it loses
      // nothing, and it is sent what it was sent before. In A's browser, relative to its own unshaped phase and
      // with room for the machine: on two cores shared with other test runs (load 15-28 while this was written)
      // the mix's own frame rate and the server's audio clock swing with the load (A at 5-18 fps and 10-50 %
      // concealed *before* any shaping), which is not what this test is about. What it must never see is B's
      // fate: a picture that stops (B: 0.1-1 fps, frozen nearly all the time).
      const warmFirst = at("warm", 2);
      const warmS = seconds(warmFirst, warmEnd);
      const aFpsWarm = delta(warmFirst, warmEnd, (s) => s.a.framesDecoded) / warmS;
      const aConcealedWarm =
        delta(warmFirst, warmEnd, (s) => s.a.concealedSamples) /
        Math.max(
          1,
          delta(warmFirst, warmEnd, (s) => s.a.totalSamplesReceived),
        );
      const aFreezeWarm = delta(warmFirst, warmEnd, (s) => s.a.totalFreezesDuration) / warmS;
      const aFps = delta(shapedFirst, shapedLast, (s) => s.a.framesDecoded) / shapedS;
      const aFreeze = delta(shapedFirst, shapedLast, (s) => s.a.totalFreezesDuration);
      const aConcealed =
        delta(shapedFirst, shapedLast, (s) => s.a.concealedSamples) /
        Math.max(
          1,
          delta(shapedFirst, shapedLast, (s) => s.a.totalSamplesReceived),
        );
      const bConcealed =
        delta(shapedFirst, shapedLast, (s) => s.b.concealedSamples) /
        Math.max(
          1,
          delta(shapedFirst, shapedLast, (s) => s.b.totalSamplesReceived),
        );
      const bFec = delta(shapedFirst, shapedLast, (s) => s.b.fecPacketsReceived);
      const bFps = delta(shapedFirst, shapedLast, (s) => s.b.framesDecoded) / shapedS;
      console.log(
        `warm: A ${aFpsWarm.toFixed(1)} fps, froze ${(aFreezeWarm * 100).toFixed(1)} % of the time, concealed ${(aConcealedWarm * 100).toFixed(1)} %`,
      );
      console.log(
        `shaped: A ${aFps.toFixed(1)} fps, froze ${aFreeze.toFixed(2)} s, concealed ${(aConcealed * 100).toFixed(1)} %; B ${bFps.toFixed(1)} fps, concealed ${(bConcealed * 100).toFixed(1)} % (FEC packets ${bFec})`,
      );
      expect(Math.max(...shaped.map((s) => s.linkA!.lossFraction))).toBeLessThan(0.05);
      // What the server sends A stays A's (no rung cut, no share taken for B): 70 % of its warm rate, scaled by
      // the frames the mix itself got out (a busy machine encodes fewer, A at 23 fps against 30 in one run, and
      // sends fewer bytes for them; a cut to the 360p rung would be a third of the rate at any frame rate).
      const framesKept = Math.min(1, aFps / aFpsWarm);
      expect(median(sendA), `A's rate while B is shaped (A at ${aFps.toFixed(1)} fps, warm ${aFpsWarm.toFixed(1)})`).toBeGreaterThan(
        0.7 * framesKept * median(during("warm", 2).map((s) => s.linkA!.sendBps)),
      );
      // A's picture goes on: frames decoded in every 5 s of the shaped phase, at half its unshaped rate or more,
      // frozen under a quarter of the time.
      for (let from = 0; from + 5 <= SHAPED_S; from += 5) {
        const window = during("shaped", from).filter((s) => s.t - (phaseStart.get("shaped") ?? 0) < from + 5);
        if (window.length >= 2)
          expect(window[window.length - 1].a.framesDecoded, `A's frames ${from}-${from + 5} s into the shaping`).toBeGreaterThan(
            window[0].a.framesDecoded,
          );
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
      console.log(
        `freed: B ${bFpsFreed.toFixed(1)} fps over the last 10 s (A ${aFpsFreed.toFixed(1)}); estimate ${kbit(median(recovered))}, sending ${kbit(median(sentFreed))}`,
      );
      expect(bFpsFreed).toBeGreaterThan(aFpsFreed * 0.7);
      expect(median(recovered)).toBeGreaterThan(Math.max(1_000_000, median(sentFreed)));
    },
    (WARM_S + SHAPED_S + FREED_S) * 1000 + 120_000,
  );
});
