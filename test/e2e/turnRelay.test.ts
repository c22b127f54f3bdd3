// A real Chromium participant forced to relay-only ICE (the page's &relay=1) gets the MCU mix through a real
// coturn, with the per-participant TURN REST credential the server hands out in `joined`.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mintJoinToken } from "../../src/access/joinToken.js";
import { silentLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { BrowserPool, CONNECT_TIMEOUT_MS, describePage, describeWithChromium, waitConnected, type TestPage } from "../helpers/chromium.js";
import { Coturn } from "../helpers/coturn.js";

const TURN_SECRET = "coturn-test-secret-0123456789";
const JOIN_SECRET = "join-secret-for-relay-test-0123";

let coturn: Coturn | undefined;
let server: RunningServer | undefined;
const pool = new BrowserPool();

describeWithChromium("TURN relay through coturn", () => {
  let tp: TestPage;

  beforeAll(async () => {
    coturn = await Coturn.start(TURN_SECRET);
    server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        iceServers: [{ urls: [`turn:127.0.0.1:${coturn.port}?transport=udp`] }],
        turnSecret: TURN_SECRET,
        turnCredentialTtlS: 600,
        joinTokenSecret: JOIN_SECRET,
      },
      silentLogger,
    );
    // Every RTCPeerConnection the page makes, kept for getStats (the page exposes none).
    tp = await pool.openPage(await pool.launch(), "Relayed", () => {
      const pcs: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
      const Native = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Native {
        constructor(config?: RTCConfiguration) {
          super(config);
          pcs.push(this);
        }
      } as typeof RTCPeerConnection;
    });
  }, 60_000);

  afterAll(async () => {
    await pool.closeAll();
    await server?.close();
    await coturn?.stop();
  });

  it(
    "connects relay-only, receives the mix over a relay candidate pair, and coturn logs the allocation",
    async () => {
      const token = await mintJoinToken(JOIN_SECRET, { room: "relayed", name: "Rita" });
      await tp.page.goto(new URL(`/?room=relayed&name=Rita&token=${token}&relay=1`, server!.url).toString());
      await waitConnected(tp);
      const id = await tp.page.evaluate(() => window.tessera.id);
      // Frames of the mix arrive and are decoded.
      const playing = await tp.page
        .waitForFunction(() => (document.querySelector<HTMLVideoElement>("video#mixed")?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > 10, null, { timeout: CONNECT_TIMEOUT_MS, polling: 200 })
        .then(() => true)
        .catch(() => false);
      expect(playing, `the mix did not play: ${await describePage(tp)}`).toBe(true);

      const stats = await tp.page.evaluate(async () => {
        const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs[0];
        const report = await pc.getStats();
        const all = [...report.values()] as Record<string, unknown>[];
        const transport = all.find((s) => s.type === "transport" && s.selectedCandidatePairId);
        const pair = all.find((s) => s.id === transport?.selectedCandidatePairId);
        const local = all.find((s) => s.id === pair?.localCandidateId);
        const inbound = all.filter((s) => s.type === "inbound-rtp" && s.kind === "video");
        return {
          policy: pc.getConfiguration().iceTransportPolicy,
          username: pc.getConfiguration().iceServers?.[0]?.username,
          pairState: pair?.state,
          localType: local?.candidateType,
          relayProtocol: local?.relayProtocol,
          localCandidateTypes: all.filter((s) => s.type === "local-candidate").map((s) => s.candidateType),
          framesDecoded: inbound.reduce((n, s) => n + Number(s.framesDecoded ?? 0), 0),
        };
      });
      expect(stats.policy).toBe("relay");
      expect(stats.pairState).toBe("succeeded");
      expect(stats.localType).toBe("relay");
      expect(stats.relayProtocol).toBe("udp");
      // Relay-only: the browser offered nothing else.
      expect(new Set(stats.localCandidateTypes)).toEqual(new Set(["relay"]));
      expect(stats.framesDecoded).toBeGreaterThan(10);
      // The page's own credential (expiry:participant id), and coturn accepted it.
      expect(stats.username).toMatch(new RegExp(`^\\d+:${id}$`));
      const log = coturn!.log();
      const allocations = log.split("\n").filter((l) => l.includes(`user <${stats.username}>`) && /ALLOCATE processed, success/.test(l));
      expect(allocations.length, `coturn logged no successful ALLOCATE for ${stats.username}:\n${log.slice(-3000)}`).toBeGreaterThan(0);
    },
    90_000,
  );
});
