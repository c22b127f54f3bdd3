import type { ServerMessage } from "../../protocol/messages.js";
import { solidColourClip } from "../../test/helpers/fixtures.js";
import { TestClient } from "../../test/helpers/testClient.js";
import type { ControlApi } from "../controlApi.js";
import { describeMessages } from "./describeMessages.js";
import type { ChurnRoom, LeaveKind } from "./plan.js";
import type { Presence } from "./presence.js";
import type { Random } from "./random.js";
import type { ReportBuilder } from "./report.js";

export interface MediaCycle {
  readonly url: string;
  readonly api: ControlApi;
  readonly room: ChurnRoom;
  readonly name: string;
  readonly role: "sender" | "viewer";
  readonly leave: LeaveKind;
  readonly stayMs: number;
  readonly mediaCheckMs: number;
  readonly decodeVideo: boolean;
  readonly colour: string;
  readonly toneHz: number;
  readonly random: Random;
  readonly presence: Presence;
  readonly report: ReportBuilder;
  /** Every client is registered here while it exists, so an aborted run can close it. */
  readonly live: Set<TestClient>;
}

const ACK_TIMEOUT_MS = 10_000;
const MEDIA_GRACE_MS = 15_000;
const SETUP_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A connected client, or undefined after reporting why not. A set-up the server itself declared failed
 * (`ice-failed`: it removed the participant) is tried again with a new client, and noted; see
 * ChurnReport.setupRetries. Anything else is a failure at once.
 */
async function connected(c: MediaCycle, who: string): Promise<TestClient | undefined> {
  for (let attempt = 1; ; attempt++) {
    const client = new TestClient({
      url: c.url,
      room: c.room.name,
      name: c.name,
      role: c.role,
      mode: c.room.mode,
      ...(c.role === "sender" ? { clip: solidColourClip(c.colour), toneHz: c.toneHz } : {}),
      decode: c.decodeVideo,
      collectOfferErrors: true,
    });
    c.live.add(client);
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.close();
      c.live.delete(client);
      // werift rejects its state watchers with a bare string ("Event watch timeout"), not an Error.
      const why = `${err instanceof Error ? err.message : String(err)}; messages ${describeMessages(client.messages)}`;
      const serverGaveUp = client.messages.some((m) => m.type === "error" && m.code === "ice-failed");
      if (!serverGaveUp || attempt === SETUP_ATTEMPTS) {
        c.report.fail(`${who}: could not connect (attempt ${attempt}): ${why}`);
        return undefined;
      }
      c.report.setupRetries.push(`${who}, attempt ${attempt}: ${why}`);
    }
  }
}

/** A roster that lists `id` with `flag` set as asked: the server has applied the mute. */
function mutedInRoster(id: string, flag: "audioMuted" | "videoMuted", value: boolean): (m: ServerMessage) => boolean {
  return (m) => m.type === "participants" && m.participants.some((p) => p.id === id && p[flag] === value);
}

/**
 * One real participant: connects (real ICE, DTLS, VP8 and Opus), stays, mutes and unmutes, checks it
 * received media if it stayed long enough, then leaves the way it was told to.
 */
export async function mediaCycle(c: MediaCycle): Promise<void> {
  const who = `${c.room.name}/${c.name} (${c.role}, leaves by ${c.leave})`;
  const client = await connected(c, who);
  if (!client) return;
  let present = false;
  let closed = false;
  try {
    const connectedAt = performance.now();
    c.presence.enter(c.room.name, c.name, c.role, connectedAt);
    present = true;
    const afterConnect = client.messages.length;

    // Mute a third of the way in, unmute at two thirds: the mixer and the roster must follow both.
    const mutes = c.role === "sender" && c.stayMs >= 1500 && c.random.next() < 0.5;
    if (mutes) {
      const flag = c.random.next() < 0.5 ? "audioMuted" : "videoMuted";
      const field = flag === "audioMuted" ? "audio" : "video";
      for (const [at, value] of [
        [c.stayMs / 3, true],
        [(2 * c.stayMs) / 3, false],
      ] as const) {
        await sleep(Math.max(0, connectedAt + at - performance.now()));
        const from = client.messages.length;
        client.send({ type: "mute", [field]: value });
        c.report.mutes++;
        await client
          .waitFor(mutedInRoster(client.id, flag, value), ACK_TIMEOUT_MS, from)
          .catch((err: Error) => c.report.fail(`${who}: mute ${field}=${value} not in the roster: ${err.message}`));
      }
    }
    await sleep(Math.max(0, connectedAt + c.stayMs - performance.now()));

    const stayed = performance.now() - connectedAt;
    if (stayed >= c.mediaCheckMs) await checkMedia(client, c, who, connectedAt);
    const trouble = client.messages.slice(afterConnect).filter((m) => m.type === "error" || m.type === "bye");
    if (trouble.length) c.report.fail(`${who}: the server sent ${JSON.stringify(trouble).slice(0, 300)} while it stayed`);
    for (const e of client.offerErrors) c.report.fail(`${who}: could not answer a server offer: ${e}`);

    c.presence.leave(c.room.name, c.name);
    present = false;
    closed = await leave(client, c, who);
    c.report.leaves[c.leave]++;
  } finally {
    if (present) c.presence.leave(c.room.name, c.name);
    if (!closed) await client.close();
    c.live.delete(client);
  }
}

/**
 * What a participant must have received, as a predicate over what it has: MCU, the mix (video frames,
 * decodable if decoding, and audio); SFU, another sender's forwarded audio (and decodable video).
 */
function mediaMissing(client: TestClient, c: MediaCycle): () => string[] {
  if (c.room.mode === "mcu") {
    return () => [
      ...(client.frameArrivals.length === 0 ? ["no video frame"] : []),
      ...(c.decodeVideo && client.decoder.framesDecoded === 0
        ? [`no decodable video frame (${client.frameArrivals.length} received)`]
        : []),
      ...(client.audioArrivals.length === 0 ? ["no audio packet"] : []),
    ];
  }
  const remotes = () => [...client.remotes.values()];
  return () => [
    ...(remotes().every((r) => r.audio.length === 0) ? ["no forwarded audio"] : []),
    ...(c.decodeVideo && remotes().every((r) => r.decoder.framesDecoded === 0)
      ? [`no decodable forwarded video (${remotes().length} remote streams, ${client.bytesReceived} bytes in)`]
      : []),
  ];
}

/**
 * Media must have arrived. It normally has long before the check; on a busy machine the client's own
 * decoder or event loop can be seconds behind, so what is missing gets MEDIA_GRACE_MS more to arrive.
 * Only media that never comes fails: that is what the check proves, not how fast the machine is.
 */
async function checkMedia(client: TestClient, c: MediaCycle, who: string, connectedAt: number): Promise<void> {
  // SFU: media only comes from another sender. MCU: a sender's own media starts the room's mix, but a
  // viewer gets one only once someone sends (a room nobody sends to runs no encoder). So those are checked
  // only when another sender was there for the whole window.
  const needsAnotherSender = c.room.mode === "sfu" || c.role === "viewer";
  if (needsAnotherSender && !c.presence.otherSenderSince(c.room.name, c.name, performance.now() - c.mediaCheckMs)) return;
  const missing = mediaMissing(client, c);
  const deadline = performance.now() + MEDIA_GRACE_MS;
  while (missing().length && performance.now() < deadline) await sleep(100);
  c.report.mediaChecked++;
  c.report.videoFrames += client.frameArrivals.length;
  c.report.audioPackets += client.audioArrivals.length + [...client.remotes.values()].reduce((n, r) => n + r.audio.length, 0);
  c.report.decodedFrames += client.decoder.framesDecoded + [...client.remotes.values()].reduce((n, r) => n + r.decoder.framesDecoded, 0);
  const still = missing();
  if (still.length)
    c.report.fail(`${who}: ${still.join(", ")} ${((performance.now() - connectedAt) / 1000).toFixed(1)} s after connecting`);
}

/** Resolves true when leaving has already closed the client. */
async function leave(client: TestClient, c: MediaCycle, who: string): Promise<boolean> {
  const from = client.messages.length;
  switch (c.leave) {
    case "leave":
      client.send({ type: "leave" });
      await client
        .waitFor((m) => m.type === "bye", ACK_TIMEOUT_MS, from)
        .catch((err: Error) => c.report.fail(`${who}: no bye after leave: ${err.message}`));
      return false;
    case "close":
      return false; // the finally's close() sends the WebSocket close frame
    case "drop":
      await client.drop();
      return true;
    case "kick": {
      const r = await c.api.kick(c.room.name, client.id).catch((err: Error) => ({ status: 0, body: err.message }));
      if (r.status !== 204) {
        c.report.fail(`${who}: kick answered ${r.status} ${r.body.slice(0, 200)}`);
        return false;
      }
      await client
        .waitFor((m) => m.type === "bye", ACK_TIMEOUT_MS, from)
        .catch((err: Error) => c.report.fail(`${who}: no bye after a kick: ${err.message}`));
      return false;
    }
  }
}
