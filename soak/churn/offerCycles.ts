import { loopbackOffer } from "../../test/helpers/loopbackOffer.js";
import type { ChurnMode } from "./plan.js";
import type { Random } from "./random.js";
import { SignalingSocket } from "./signalingSocket.js";

/**
 * Participants that join but never get media flowing: the paths that once left ghost participants
 * (and their ffmpeg decoders) behind. Each returns what went wrong, or undefined.
 */

export interface OfferCycleTarget {
  readonly url: string;
  readonly room: string;
  readonly mode: ChurnMode;
  readonly name: string;
}

async function joined(target: OfferCycleTarget): Promise<SignalingSocket> {
  const socket = await SignalingSocket.open(target.url);
  socket.send({ type: "join", room: target.room, name: target.name, role: "sender", mode: target.mode });
  const answer = await socket.waitFor((m) => m.type === "joined" || m.type === "error", "joined");
  if (answer.type === "error") {
    socket.close();
    throw new Error(`join refused: ${answer.code}: ${answer.message}`);
  }
  return socket;
}

/**
 * Join, send an offer the server must refuse (no usable codec, or one werift cannot apply), check the
 * refusal, maybe retry with a good offer (the server replaces the peer for that), then leave or drop.
 */
export async function rejectedOfferCycle(target: OfferCycleTarget, random: Random): Promise<string | undefined> {
  const offer = await loopbackOffer();
  let socket: SignalingSocket | undefined;
  try {
    socket = await joined(target);
    // Without ice-ufrag the offer checks refuse it before werift sees it (bad-offer); a VP9-only camera is refused
    // by the codec check. Either way the server must replace the peer and take a good offer after.
    const broken = random.next() < 0.5;
    const bad = broken ? offer.sdp.replace(/^a=ice-ufrag:.*\r?\n/gm, "") : offer.sdp.replace(/VP8\/90000/g, "VP9/90000");
    const expected = broken ? "bad-offer" : "no-usable-codec";
    const from = socket.messages.length;
    socket.send({ type: "offer", sdp: bad });
    const refusal = await socket.waitFor((m) => m.type === "error" || m.type === "answer", `refusal (${expected})`, 10_000, from);
    if (refusal.type !== "error" || refusal.code !== expected)
      return `expected error ${expected} for a bad offer, got ${JSON.stringify(refusal).slice(0, 200)}`;
    if (random.next() < 0.5) {
      const again = socket.messages.length;
      socket.send({ type: "offer", sdp: offer.sdp });
      const answer = await socket.waitFor((m) => m.type === "answer" || m.type === "error", "answer to the retried offer", 15_000, again);
      if (answer.type !== "answer") return `a good offer after a rejected one was refused: ${JSON.stringify(answer).slice(0, 200)}`;
    }
    if (random.next() < 0.5) {
      const before = socket.messages.length;
      socket.send({ type: "leave" });
      await socket.waitFor((m) => m.type === "bye", "bye after leave", 10_000, before);
      socket.close();
      socket = undefined;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    // Every other ending (the planned drop, or a failure) cuts the socket.
    socket?.drop();
    await offer.close();
  }
}

/** Join and send a good offer, then vanish before the answer: the server is mid-negotiation when the socket ends. */
export async function abandonedOfferCycle(target: OfferCycleTarget): Promise<string | undefined> {
  const offer = await loopbackOffer();
  let socket: SignalingSocket | undefined;
  try {
    socket = await joined(target);
    socket.send({ type: "offer", sdp: offer.sdp });
    // Long enough for the offer to be read and negotiation to begin, too short for the answer.
    await new Promise((r) => setTimeout(r, 5));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    socket?.drop();
    await offer.close();
  }
}
