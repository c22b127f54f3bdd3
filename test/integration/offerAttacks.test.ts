import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { MAX_REMOTE_CANDIDATES } from "../../src/peers/offerChecks.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { loopbackOffer } from "../helpers/loopbackOffer.js";
import { RawSocket } from "../helpers/rawSocket.js";
import { TestClient } from "../helpers/testClient.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 18, section 5: offers and candidates an attacker writes by hand. Each is refused before werift sees
 * it, with a code and a sentence naming the problem, and the server logs the refusal with that sentence.
 */
describe("malformed offers and candidates", () => {
  let server: RunningServer;
  let logText = "";
  const sockets: RawSocket[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString();
        done();
      },
    });
    server = await startServer(
      {
        port: 0,
        host: "127.0.0.1",
        iceHostAddresses: ["127.0.0.1"],
        recordingsDir: mkdtempSync(joinPath(tmpdir(), "tessera-offers-")),
        connectTimeoutMs: 10_000,
      },
      createLogger({ level: "warn", destination }),
    );
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await eventually(() => server.rooms.all().length === 0, 10_000, "every room closes after its last participant");
  });
  afterAll(async () => {
    await server?.close();
  });

  const join = async (room: string) => {
    const s = await RawSocket.open(server.url);
    sockets.push(s);
    s.ws.send(JSON.stringify({ type: "join", room, name: "Mallory" }));
    await s.next("joined");
    return s;
  };
  /** A real client's offer (its peer stays up, so the server's checks have somewhere to go). */
  const realOffer = async () => {
    const offer = await loopbackOffer();
    cleanups.push(offer.close);
    return offer.sdp;
  };
  /** A UDP socket on loopback that counts what the server sends it: the victim of a reflector. */
  const victim = async () => {
    const socket: Socket = createSocket("udp4");
    let datagrams = 0;
    socket.on("message", () => datagrams++);
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return { port: socket.address().port, received: () => datagrams };
  };
  const candidateLine = (port: number, i: number) => `candidate:${1000 + i} 1 udp ${2_000_000_000 - i} 127.0.0.1 ${port} typ host`;

  it.each<[string, (sdp: string) => string, RegExp]>([
    [
      "payload type 200",
      (s) =>
        s
          .replace(/SAVPF 97/, "SAVPF 200")
          .replace("rtpmap:97", "rtpmap:200")
          .replaceAll("rtcp-fb:97", "rtcp-fb:200"),
      /payload type "200".*0 to 127/,
    ],
    ["payload type 99999", (s) => s.replace(/SAVPF 96/, "SAVPF 99999").replace("rtpmap:96", "rtpmap:99999"), /payload type "99999"/],
    ["no fingerprint", (s) => s.replace(/a=fingerprint:.*\r\n/g, ""), /no a=fingerprint/],
    ["a sha-999 fingerprint", (s) => s.replaceAll("a=fingerprint:sha-256", "a=fingerprint:sha-999"), /only in sha-999/],
    ["an empty fingerprint", (s) => s.replace(/a=fingerprint:.*\r\n/g, "a=fingerprint:\r\n"), /fingerprint with no digest/],
    ["no ice-ufrag", (s) => s.replace(/a=ice-ufrag:.*\r\n/g, ""), /no a=ice-ufrag/],
    ["no ice-ufrag and no ice-pwd", (s) => s.replace(/a=ice-(ufrag|pwd):.*\r\n/g, ""), /no a=ice-ufrag/],
    ["junk candidates", (s) => s.replace(/a=candidate:.*\r\n/g, "a=candidate:junk junk\r\n"), /candidate 1 of the offer .*too few fields/],
  ])("refuses an offer with %s as bad-offer, naming it, and logs it", async (what, edit, reason) => {
    const s = await join(`offer-${what.replace(/\W+/g, "-")}`);
    s.ws.send(JSON.stringify({ type: "offer", sdp: edit(await realOffer()) }));
    const error = await s.error();
    expect(error).toMatchObject({ code: "bad-offer", message: expect.stringMatching(reason) });
    expect(error.message).not.toMatch(/Cannot read properties|undefined/);
    await eventually(
      () => logText.includes('"msg":"offer refused"') && logText.includes(error.message.slice(0, 40).replace(/"/g, '\\"')),
      5000,
      "the refusal in the server's log with its reason",
    );
    // The participant stays, on a fresh peer, and may offer again.
    expect(s.closedWith).toBeUndefined();
    s.ws.send(JSON.stringify({ type: "offer", sdp: await realOffer() }));
    await s.next("answer", 10_000);
  });

  it("refuses an offer naming 800 candidates before the server sends a single check to them", async () => {
    const target = await victim();
    const s = await join("reflector-offer");
    const many = Array.from({ length: 800 }, (_, i) => `a=${candidateLine(target.port, i)}`).join("\r\n");
    s.ws.send(JSON.stringify({ type: "offer", sdp: (await realOffer()).replace(/a=end-of-candidates/, `${many}\r\na=end-of-candidates`) }));
    expect(await s.error()).toMatchObject({
      code: "bad-offer",
      message: expect.stringContaining(`has 802 candidates; the server takes at most ${MAX_REMOTE_CANDIDATES}`),
    });
    await sleep(1500);
    expect(target.received()).toBe(0);
  });

  it(`drops trickled candidates beyond ${MAX_REMOTE_CANDIDATES} and junk ones with bad-candidate, and checks only the ones it took`, async () => {
    const target = await victim();
    const s = await join("reflector-trickle");
    // From a peer that is gone: ICE never completes, so the server keeps checking every candidate it took.
    const { sdp, close } = await loopbackOffer();
    await close();
    const offered = [...sdp.matchAll(/^a=candidate:/gm)].length;
    // A trickling client has not ended its candidates (werift takes none after a=end-of-candidates).
    s.ws.send(JSON.stringify({ type: "offer", sdp: sdp.replace(/a=end-of-candidates\r\n/g, "") }));
    await s.next("answer", 10_000);
    s.ws.send(JSON.stringify({ type: "candidate", candidate: { candidate: "candidate:junk", sdpMid: "0" } }));
    expect(await s.error()).toMatchObject({ code: "bad-candidate", message: expect.stringContaining("too few fields") });
    // Within the signaling rate limit's burst: every one is answered, none is dropped unread.
    const sent = 40;
    for (let i = 0; i < sent; i++)
      s.ws.send(JSON.stringify({ type: "candidate", candidate: { candidate: candidateLine(target.port, i), sdpMid: "0" } }));
    const admitted = MAX_REMOTE_CANDIDATES - offered;
    await eventually(
      () => s.messages.filter((m) => m.type === "error" && m.code === "bad-candidate").length === sent - admitted,
      10_000,
      `${sent - admitted} refusals`,
    );
    expect(s.messages.find((m) => m.type === "error")).toMatchObject({
      message: expect.stringContaining(`the server takes at most ${MAX_REMOTE_CANDIDATES}`),
    });
    expect(s.messages.filter((m) => m.type === "error" && m.code !== "bad-candidate")).toEqual([]);
    await eventually(() => logText.includes('"msg":"candidate refused"'), 5000, "the refusal in the server's log");
    // The admitted ones are checked (a few STUN requests each); the refused ones never.
    await eventually(() => target.received() > 0, 10_000, "checks to the admitted candidates");
    await sleep(3000);
    expect(target.received()).toBeLessThanOrEqual(admitted * 10);
  });

  it("still connects a real client, whose offer passes every check", async () => {
    const client = new TestClient({ url: server.url, room: "honest", name: "Honest", colour: "blue", toneHz: 440 });
    cleanups.push(() => client.close());
    await client.connect();
    await eventually(() => client.decoder.framesDecoded > 5, 15_000, "the mix to arrive");
  });
});
