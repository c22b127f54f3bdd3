import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/server.js";
import { eventually } from "../helpers/eventually.js";
import { closedCode, RawSocket } from "../helpers/rawSocket.js";
import { TestClient } from "../helpers/testClient.js";
import { loopbackOffer } from "../helpers/loopbackOffer.js";
import { sampleProcess } from "../../soak/procProbe.js";

const TOKEN = "abuse-test-token";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errors = (s: RawSocket, code: string) => s.messages.filter((m) => m.type === "error" && m.code === code);

/** A real offer from a peer that then goes away: nobody answers the server's connectivity checks. */
async function offerFromVanishingPeer(): Promise<string> {
  const { sdp, close } = await loopbackOffer();
  await close();
  return sdp;
}

describe("what one client can do to the server", () => {
  let server: RunningServer;
  const sockets: RawSocket[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      iceHostAddresses: ["127.0.0.1"],
      apiToken: TOKEN,
      recordingsDir: mkdtempSync(joinPath(tmpdir(), "tessera-abuse-")),
      connectTimeoutMs: 2000,
      maxRooms: 4,
      maxConnectionsPerAddress: 8,
      icePortRange: [47100, 47105],
    });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.ws.close();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await eventually(() => server.rooms.all().length === 0, 10_000, "every room closes after its last participant");
    await eventually(() => server.processes.size === 0, 10_000, "no ffmpeg child is left");
  });
  afterAll(async () => {
    await server?.close();
  });

  const open = async () => {
    const s = await RawSocket.open(server.url);
    sockets.push(s);
    return s;
  };
  const join = async (room: string, name: string, role = "sender") => {
    const s = await open();
    s.ws.send(JSON.stringify({ type: "join", room, name, role }));
    await s.next("joined");
    return s;
  };

  // Rejected offers used to race the peer replacement: a phantom sender stayed behind with its ffmpeg
  // children, or the server closed the client's own socket.
  it.each([2, 10, 25, 40, 50])("leaves no participant behind after six rejected offers %i ms apart and a close", async (gapMs) => {
    const s = await join(`ghosts-${gapMs}`, "Ghost");
    for (let i = 0; i < 6; i++) {
      s.ws.send(JSON.stringify({ type: "offer", sdp: "hello world" }));
      await sleep(gapMs);
    }
    await eventually(() => errors(s, "no-usable-codec").length === 6, 10_000, "every offer is answered with its own refusal");
    // Refused offers do not end the session: the participant is still there, once, and may offer again.
    expect(s.closedWith).toBeUndefined();
    expect(s.messages.some((m) => m.type === "bye")).toBe(false);
    expect(server.rooms.get(`ghosts-${gapMs}`)?.list()).toHaveLength(1);
    s.ws.close();
    await eventually(() => server.rooms.all().length === 0, 5000, "the room is gone once its only socket closed");
    expect(server.processes.size).toBe(0);
  });

  it("lets a participant whose offer was refused offer again on a fresh peer", async () => {
    const client = new TestClient({ url: server.url, room: "second-chance", name: "Retry", colour: "red", toneHz: 440 });
    clients.push(client);
    // A viewer gives the room a receiver; the refused sender keeps its place and its id.
    const viewer = await join("second-chance", "Watcher", "viewer");
    const rejected = await join("second-chance", "Rejected");
    rejected.ws.send(JSON.stringify({ type: "offer", sdp: "v=0\r\nm=audio 9 X 0\r\na=rtpmap:0 PCMU/8000\r\n" }));
    expect(await rejected.error()).toMatchObject({ code: "no-usable-codec" });
    await client.connect();
    await eventually(() => client.decoder.framesDecoded > 5, 10_000, "the next sender still gets the mix");
    expect(server.rooms.get("second-chance")?.list()).toHaveLength(3);
    viewer.ws.close();
  });

  it("drops a participant who never offers, with offer-timeout, and starts no media process for them", async () => {
    const s = await join("silent", "Mute");
    await sleep(500);
    // Media processes start with media: a bare join holds no encoder and no decoder.
    expect(server.processes.size).toBe(0);
    expect(await closedCode(s, 6000)).toBe(1000);
    expect(errors(s, "offer-timeout")[0]).toMatchObject({ message: expect.stringContaining("no offer arrived within 2 s") });
    expect(s.messages.at(-1)).toMatchObject({ type: "bye" });
    await eventually(() => server.rooms.get("silent") === undefined, 5000, "the room closes");
  });

  it("drops a participant whose ICE never completes, with ice-failed", async () => {
    const s = await join("no-ice", "Stuck");
    s.ws.send(JSON.stringify({ type: "offer", sdp: await offerFromVanishingPeer() }));
    await s.next("answer");
    expect(await closedCode(s, 8000)).toBe(1000);
    expect(errors(s, "ice-failed")[0]).toMatchObject({ message: expect.stringMatching(/within 2 s|ICE/) });
    await eventually(() => server.rooms.get("no-ice") === undefined, 5000, "the room closes");
  });

  it("refuses an offer with more sections than a participant uses before any socket is opened", async () => {
    // Six ports in the ICE range: thirty unbundled sections would have taken them all.
    const s = await join("sections", "Greedy");
    const sections = Array.from({ length: 30 }, (_, i) =>
      i % 2 ? "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000" : "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2",
    );
    const udpBefore = sampleProcess(process.pid).udpSockets;
    s.ws.send(JSON.stringify({ type: "offer", sdp: ["v=0", ...sections, ""].join("\r\n") }));
    expect(await s.error()).toMatchObject({ code: "too-many-sections", message: expect.stringContaining("30 media sections") });
    expect(sampleProcess(process.pid).udpSockets).toBe(udpBefore);
    const client = new TestClient({ url: server.url, room: "sections", name: "Honest", colour: "blue", toneHz: 440 });
    clients.push(client);
    await client.connect();
    await eventually(() => client.decoder.framesDecoded > 5, 10_000, "a real client still connects within the port range");
  });

  it("refuses a room beyond MAX_ROOMS with server-full, and connections beyond the per-address cap", async () => {
    const inRooms = await Promise.all(["r1", "r2", "r3", "r4"].map((room) => join(room, "Occupant", "viewer")));
    const fifth = await open();
    fifth.ws.send(JSON.stringify({ type: "join", room: "r5", name: "Late" }));
    expect(await fifth.error()).toMatchObject({ code: "server-full" });
    expect(await closedCode(fifth)).toBe(1008);
    // An existing room still takes people.
    await join("r1", "Second", "viewer");
    // Five sockets are open (the refused one has closed); three more make the eight allowed from one address.
    for (let i = 0; i < 3; i++) await open();
    await eventually(() => sockets.filter((s) => s.closedWith === undefined).length === 8, 5000, "eight open sockets");
    const ninth = await open();
    expect(await ninth.error()).toMatchObject({ code: "too-many-connections" });
    expect(await closedCode(ninth)).toBe(1008);
    expect(inRooms.every((s) => s.closedWith === undefined)).toBe(true);
  });

  it("rate-limits a flood of messages and coalesces the roster everyone else receives", async () => {
    const watcher = await join("flood", "Watcher", "viewer");
    const flooder = await join("flood", "Flooder", "viewer");
    await eventually(
      () => watcher.messages.some((m) => m.type === "participants" && m.participants.length === 2),
      5000,
      "the roster has both",
    );
    const rostersBefore = watcher.messages.filter((m) => m.type === "participants").length;
    const started = performance.now();
    for (let i = 0; i < 2000; i++) flooder.ws.send(JSON.stringify({ type: "mute", audio: i % 2 === 0 }));
    await sleep(1500);
    const elapsed = performance.now() - started;
    const limited = errors(flooder, "rate-limited");
    expect(limited.length).toBeGreaterThanOrEqual(1);
    // One error a second at most, not one per dropped message.
    expect(limited.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 1);
    // At most one roster per 100 ms reaches the others, however many mutes arrive.
    const rosters = watcher.messages.filter((m) => m.type === "participants").length - rostersBefore;
    expect(rosters).toBeGreaterThan(0);
    expect(rosters).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 2);
    expect(flooder.closedWith).toBeUndefined();
  });

  it("limits how often participants start recordings, and leaves an operator's recording to the operator", async () => {
    const api = (path: string, method: string) =>
      fetch(`${server.url}/api${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    const alice = new TestClient({ url: server.url, room: "recorded", name: "Alice", colour: "green", toneHz: 440 });
    clients.push(alice);
    await alice.connect();
    const sam = await join("recorded", "Sam");
    const rec = (action: string) => sam.ws.send(JSON.stringify({ type: "record", action }));
    rec("start");
    await eventually(() => sam.messages.some((m) => m.type === "recording" && m.recording !== null), 10_000, "the first start works");
    rec("stop");
    await eventually(
      () =>
        sam.messages.filter((m) => m.type === "recording").at(-1)?.type === "recording" &&
        server.rooms.get("recorded")?.capabilities.recording?.activeRecording === undefined,
      10_000,
      "the stop works",
    );
    rec("start");
    await eventually(() => errors(sam, "rate-limited").length === 1, 5000, "a second start within 10 s is refused");
    expect(errors(sam, "rate-limited")[0]).toMatchObject({ message: expect.stringMatching(/try again in \d+ s/) });

    expect((await api("/rooms/recorded/recording/start", "POST")).status).toBe(201);
    rec("stop");
    await eventually(
      () => errors(sam, "recording-state").some((m) => m.type === "error" && m.message.includes("control API")),
      5000,
      "a participant cannot stop the operator's recording",
    );
    expect(server.rooms.get("recorded")?.capabilities.recording?.activeRecording).toBeDefined();
    expect((await api("/rooms/recorded/recording/stop", "POST")).status).toBe(200);
  });
});
