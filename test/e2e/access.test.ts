// The page under access control, in a real Chromium: joined with a token from its URL, forced to relay-only
// ICE (&relay=1) it gets the MCU mix through a real coturn with the per-participant TURN REST credential from
// `joined`, under the page's Content-Security-Policy; allowed to record, it is shown a signed link to the
// recording it made, which serves the file with no header.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
const recordingsDir = mkdtempSync(join(tmpdir(), "tessera-access-e2e-"));

describeWithChromium("the page with join tokens, TURN REST through coturn, and recording links", () => {
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
        recordingsDir,
      },
      silentLogger,
    );
    // Every RTCPeerConnection the page makes, kept for getStats (the page exposes none).
    tp = await pool.openPage(await pool.launch(), "Relayed", () => {
      const pcs: RTCPeerConnection[] = [];
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = pcs;
      const violations: string[] = [];
      (window as unknown as { __csp: string[] }).__csp = violations;
      document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
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
    rmSync(recordingsDir, { recursive: true, force: true });
  });

  it("connects relay-only, receives the mix over a relay candidate pair, and coturn logs the allocation", async () => {
    const token = await mintJoinToken(JOIN_SECRET, { room: "relayed", name: "Rita", record: true });
    await tp.page.goto(new URL(`/?room=relayed&name=Rita&token=${token}&relay=1`, server!.url).toString());
    await waitConnected(tp);
    const id = await tp.page.evaluate(() => window.tessera.id);
    // Frames of the mix arrive and are decoded.
    const playing = await tp.page
      .waitForFunction(
        () => (document.querySelector<HTMLVideoElement>("video#mixed")?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > 10,
        null,
        { timeout: CONNECT_TIMEOUT_MS, polling: 200 },
      )
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
    // The page ran under its CSP without a single violation.
    expect(await tp.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
  }, 90_000);

  it("shows a signed link to the finished recording to a participant whose token may record", async () => {
    await tp.page.click("#record");
    await tp.page.waitForFunction(() => window.tessera.recording !== null, null, { timeout: 10_000 });
    const id = await tp.page.evaluate(() => window.tessera.recording!.id);
    // A few seconds of the mix in the file.
    await new Promise((r) => setTimeout(r, 3000));
    await tp.page.click("#record");
    const link = await tp.page
      .waitForFunction(() => window.tessera.recordingLink, null, { timeout: 15_000, polling: 200 })
      .then((h) => h.jsonValue())
      .catch(() => null);
    expect(link, `no recording link shown: ${await describePage(tp)}`).toMatch(
      new RegExp(`/api/recordings/${id}/download\\?expires=\\d+&signature=`),
    );
    expect(await tp.page.locator("#recording-link").getAttribute("href")).toBe(link);
    // The link works with no header at all, from outside the page.
    const res = await fetch(link!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="relayed-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.webm"/);
    // A WebM file (the EBML magic), of the recording this page made: what the link proves, not how much of the
    // mix a busy machine got into three seconds.
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 4).toString("hex")).toBe("1a45dfa3");
    expect(body.length).toBeGreaterThan(1000);
  }, 90_000);
});
