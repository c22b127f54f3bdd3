import { isIP } from "node:net";

/**
 * What a participant's offer and trickled candidates must be before werift sees them: checked from the SDP
 * text, so a malformed offer is refused with a sentence naming the problem (`bad-offer`, `bad-candidate`)
 * instead of failing inside werift with a TypeError, an empty message, or not at all (a payload type of
 * 99999 was echoed in the answer; a missing fingerprint failed later, at DTLS).
 */

/**
 * Remote candidates one connection may give, in its offer and trickled together. Each is a destination the
 * server sends connectivity checks to (about five STUN requests a pair): an offer naming 800 of them made
 * the server send 4,000 requests wherever it said, a reflector. A browser offers one host candidate per
 * interface and transport in each section it has not bundled yet, plus a server-reflexive and a few relay
 * candidates: two sections on a machine with four interfaces, UDP and TCP, come to about 24.
 */
export const MAX_REMOTE_CANDIDATES = 32;

/**
 * The fingerprint hashes the server checks a peer's DTLS certificate against, with their digest sizes.
 * SHA-1 (which werift would take) is not among them: RFC 8122 calls it weak, and every browser offers sha-256.
 */
export const FINGERPRINT_HASHES: Readonly<Record<string, number>> = { "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64 };

// RFC 8839: ice-char is ALPHA / DIGIT / "+" / "/"; a ufrag is 4-256 of them, a password 22-256.
const ICE_UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const ICE_PWD = /^[A-Za-z0-9+/]{22,256}$/;
const CANDIDATE_TYPES = new Set(["host", "srflx", "prflx", "relay"]);
// An mDNS name (RFC 8828) as browsers hide their host addresses: resolved on the local link only.
const MDNS_NAME = /^[A-Za-z0-9-]{1,63}\.local$/;

interface Section {
  /** 1-based, as people count m-lines. */
  readonly index: number;
  readonly kind: string;
  /** Carries a transport of its own (a port other than 0), whose ICE credentials and fingerprint werift uses. */
  readonly transport: boolean;
  readonly rtp: boolean;
  readonly formats: readonly string[];
  readonly attributes: readonly string[];
}

/** Undefined when the offer is well-formed in what the server relies on, else a sentence naming the problem. */
export function malformedOfferReason(sdp: string): string | undefined {
  const { session, sections } = split(sdp);
  const problems: string[] = [];
  for (const section of sections) {
    const where = `the ${section.kind.slice(0, 16)} section (m-line ${section.index})`;
    const badType = section.rtp ? badPayloadType(section) : undefined;
    if (badType !== undefined)
      problems.push(
        `${where} uses payload type ${JSON.stringify(badType.slice(0, 16))}: RTP payload types are whole numbers from 0 to 127`,
      );
    if (!section.transport) continue;
    const ufrag = value(section.attributes, "ice-ufrag") ?? value(session, "ice-ufrag");
    const pwd = value(section.attributes, "ice-pwd") ?? value(session, "ice-pwd");
    if (ufrag === undefined || pwd === undefined)
      problems.push(
        `${where} has no ${ufrag === undefined ? "a=ice-ufrag" : "a=ice-pwd"} (the ICE credentials, at session or media level)`,
      );
    else if (!ICE_UFRAG.test(ufrag))
      problems.push(`${where} has an a=ice-ufrag that is not 4 to 256 ICE characters (letters, digits, + and /)`);
    else if (!ICE_PWD.test(pwd)) problems.push(`${where} has an a=ice-pwd that is not 22 to 256 ICE characters (letters, digits, + and /)`);
    const fingerprintProblem = fingerprintsProblem([...values(section.attributes, "fingerprint"), ...values(session, "fingerprint")]);
    if (fingerprintProblem) problems.push(`${where} ${fingerprintProblem}`);
  }
  if (!sections.some((s) => s.transport))
    problems.push("no section of the offer has a port other than 0 (a transport the connection could use)");
  const candidates = [...session, ...sections.flatMap((s) => s.attributes)].filter((a) => a.startsWith("candidate:"));
  if (candidates.length > MAX_REMOTE_CANDIDATES)
    problems.push(`the offer has ${candidates.length} candidates; the server takes at most ${MAX_REMOTE_CANDIDATES} from one connection`);
  else {
    for (const [i, candidate] of candidates.entries()) {
      const problem = candidateProblem(candidate);
      if (problem) {
        problems.push(`candidate ${i + 1} of the offer (${JSON.stringify(candidate.slice(0, 80))}) ${problem}`);
        break;
      }
    }
  }
  // The first few are enough to fix an offer, and keep the error message short.
  return problems.length ? problems.slice(0, 3).join("; ") : undefined;
}

/**
 * Undefined when `candidate` (RFC 8839 `candidate:...`, with or without `a=`) is one the server may send
 * checks to, else what is wrong with it. Addresses must be unicast IPs or mDNS names: werift would hand any
 * other name to the resolver, and send to a broadcast or multicast address.
 */
export function candidateProblem(candidate: string): string | undefined {
  const text = candidate.replace(/^a=/, "");
  if (!text.startsWith("candidate:")) return "does not start with candidate:";
  const fields = text.slice("candidate:".length).split(" ");
  if (fields.length < 8) return "has too few fields (candidate:foundation component transport priority address port typ type)";
  const [foundation, component, transport, priority, address, port, typ, type] = fields;
  if (!/^[A-Za-z0-9+/]{1,32}$/.test(foundation)) return "has a foundation that is not 1 to 32 ICE characters";
  if (!isWhole(component, 1, 256)) return "has a component that is not a whole number from 1 to 256";
  if (!/^(udp|tcp)$/i.test(transport)) return `has transport ${JSON.stringify(transport.slice(0, 16))}; the server takes udp or tcp`;
  if (!isWhole(priority, 1, 2 ** 32 - 1)) return "has a priority that is not a whole number from 1 to 4294967295";
  const addressProblem = unicastProblem(address);
  if (addressProblem) return addressProblem;
  if (!isWhole(port, transport.toLowerCase() === "tcp" ? 0 : 1, 65535))
    return `has port ${JSON.stringify(port.slice(0, 16))}, not a whole number from 1 to 65535`;
  if (typ !== "typ" || !CANDIDATE_TYPES.has(type)) return "has no type (typ host, srflx, prflx or relay)";
  if (fields.length % 2 !== 0) return "has an extension name without a value";
  return undefined;
}

/**
 * The remote candidates one connection has given so far (offer and trickled): admits a trickled one, or
 * says why not. Kept by the peer connection, so the bound holds across the two ways in.
 */
export class RemoteCandidates {
  private count = 0;

  /** Counts the offer's candidates (checked by malformedOfferReason). */
  offered(sdp: string): void {
    this.count += [...sdp.matchAll(/^a=candidate:/gm)].length;
  }

  /** Undefined when the trickled `candidate` may go to werift (and counts it), else the reason it may not. */
  admit(candidate: string): string | undefined {
    // An empty candidate is the end of candidates: nothing to check or send to.
    if (candidate === "") return undefined;
    const problem = candidateProblem(candidate);
    if (problem) return `the candidate ${JSON.stringify(candidate.slice(0, 80))} ${problem}`;
    if (this.count >= MAX_REMOTE_CANDIDATES)
      return `this connection has given ${this.count} candidates already; the server takes at most ${MAX_REMOTE_CANDIDATES} (this one is dropped)`;
    this.count++;
    return undefined;
  }
}

/**
 * What a participant is told when werift fails on an offer or candidate that passed these checks: werift's
 * own sentence, but never a programming error's (`Cannot read properties of undefined`), which says nothing
 * about the offer and much about the server; those, like an empty message, stay in the server's log.
 */
export function applyFailureMessage(err: unknown): string {
  const internal = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error);
  if (internal || err.message.trim() === "") return "the server's WebRTC stack failed on it (the server's log has the cause)";
  return err.message.slice(0, 300);
}

function split(sdp: string): { session: string[]; sections: Section[] } {
  const session: string[] = [];
  const sections: { index: number; kind: string; port: string; proto: string; formats: string[]; attributes: string[] }[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=")) {
      const [kind = "", port = "", proto = "", ...formats] = line.slice(2).split(" ");
      sections.push({ index: sections.length + 1, kind, port, proto, formats, attributes: [] });
    } else if (line.startsWith("a=")) (sections.at(-1)?.attributes ?? session).push(line.slice(2));
  }
  return {
    session,
    sections: sections.map((s) => ({
      index: s.index,
      kind: s.kind,
      // Port 0: rejected, or bundle-only (RFC 9143: Firefox offers its later sections so), riding on the first
      // section's transport; either way its own credentials, if any, are not the ones used.
      transport: s.port !== "0",
      rtp: s.proto.includes("RTP"),
      formats: s.formats,
      attributes: s.attributes,
    })),
  };
}

/** The first payload type of the section that is not 0-127: in the m-line, rtpmap, fmtp (and its apt=) or rtcp-fb. */
function badPayloadType(section: Section): string | undefined {
  const named = [...section.formats];
  for (const attribute of section.attributes) {
    const match = /^(rtpmap|fmtp|rtcp-fb):(\S*)/.exec(attribute);
    if (!match) continue;
    if (!(match[1] === "rtcp-fb" && match[2] === "*")) named.push(match[2]);
    const apt = /[; ]apt=([^;\s]*)/.exec(attribute);
    if (match[1] === "fmtp" && apt) named.push(apt[1]);
  }
  return named.find((pt) => !isWhole(pt, 0, 127));
}

/** What is wrong with a section's fingerprints (its own and the session's), or undefined. */
function fingerprintsProblem(fingerprints: readonly string[]): string | undefined {
  if (fingerprints.length === 0) return "has no a=fingerprint (the hash of the DTLS certificate, at session or media level)";
  const hashes: string[] = [];
  for (const fingerprint of fingerprints) {
    const [hash = "", digest = "", ...rest] = fingerprint.trim().split(/\s+/);
    if (digest === "" || rest.length > 0) return `has a fingerprint with no digest (a=fingerprint:${fingerprint.slice(0, 40)})`;
    const size = FINGERPRINT_HASHES[hash.toLowerCase()];
    hashes.push(hash.slice(0, 16));
    if (size === undefined) continue;
    if (!new RegExp(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){${size - 1}}$`).test(digest))
      return `has a ${hash.toLowerCase()} fingerprint that is not ${size} hex bytes separated by colons`;
  }
  if (!hashes.some((h) => FINGERPRINT_HASHES[h.toLowerCase()] !== undefined))
    return `has a fingerprint only in ${hashes.join(", ")}; the server checks ${Object.keys(FINGERPRINT_HASHES).join(", ")}`;
  return undefined;
}

function unicastProblem(address: string): string | undefined {
  const version = isIP(address);
  if (version === 0)
    return MDNS_NAME.test(address)
      ? undefined
      : `has address ${JSON.stringify(address.slice(0, 64))}, which is neither an IP address nor an mDNS .local name`;
  const lower = address.toLowerCase();
  const notUnicast =
    version === 4
      ? address === "0.0.0.0" || address === "255.255.255.255" || Number(address.split(".")[0]) >= 224
      : lower === "::" || lower.startsWith("ff");
  return notUnicast ? `has address ${address}, which is not a unicast address` : undefined;
}

function isWhole(text: string, min: number, max: number): boolean {
  return /^\d{1,10}$/.test(text) && Number(text) >= min && Number(text) <= max;
}

function value(attributes: readonly string[], name: string): string | undefined {
  return values(attributes, name)[0];
}

function values(attributes: readonly string[], name: string): string[] {
  return attributes.filter((a) => a.startsWith(`${name}:`)).map((a) => a.slice(name.length + 1));
}
