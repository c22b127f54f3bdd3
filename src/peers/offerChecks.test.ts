import { describe, expect, it } from "vitest";
import { applyFailureMessage, candidateProblem, malformedOfferReason, MAX_REMOTE_CANDIDATES, RemoteCandidates } from "./offerChecks.js";

const FINGERPRINT = "sha-256 05:7C:3D:10:F7:B0:28:BB:CD:7E:3C:3E:C7:B0:8E:F9:B4:54:74:F7:AA:0A:57:92:AA:E7:EF:52:E5:40:9F:BF";
const HOST = "candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 37169 typ host generation 0 ufrag c1ff";

/** A werift client's offer, as the test clients send it; `edit` rewrites it line by line. */
function offer(edit: (sdp: string) => string = (s) => s): string {
  const section = (kind: string, pt: number, codec: string, port: number) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    "c=IN IP4 0.0.0.0",
    HOST.replace("37169", String(port)).replace(/^/, "a="),
    "a=end-of-candidates",
    "a=ice-ufrag:c1ff",
    "a=ice-pwd:fc7810af53277fccecafcf",
    `a=fingerprint:${FINGERPRINT}`,
    "a=setup:actpass",
    "a=sendrecv",
    `a=mid:${kind === "audio" ? 0 : 1}`,
    "a=rtcp-mux",
    `a=rtpmap:${pt} ${codec}`,
    ...(kind === "video" ? [`a=rtcp-fb:${pt} nack`, `a=rtcp-fb:${pt} nack pli`] : []),
  ];
  const sdp = [
    "v=0",
    "o=- 13166344 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    ...section("audio", 96, "OPUS/48000/2", 37169),
    ...section("video", 97, "VP8/90000", 56878),
    "",
  ].join("\r\n");
  return edit(sdp);
}

const candidates = (n: number) => Array.from({ length: n }, (_, i) => `a=${HOST.replace("37169", String(20000 + i))}`).join("\r\n");

describe("malformedOfferReason", () => {
  it("accepts a client's offer, a Firefox-style one (session-level fingerprint, bundle-only port 0) and one with no candidates", () => {
    expect(malformedOfferReason(offer())).toBeUndefined();
    const firefox = offer((s) =>
      s
        .replaceAll(`a=fingerprint:${FINGERPRINT}\r\n`, "")
        .replace("t=0 0", `t=0 0\r\na=fingerprint:${FINGERPRINT}`)
        .replace("m=video 9", "m=video 0")
        .replace("a=mid:1", "a=mid:1\r\na=bundle-only")
        .replace(/(m=video[^]*)a=ice-ufrag:c1ff\r\n/, "$1"),
    );
    expect(malformedOfferReason(firefox)).toBeUndefined();
    expect(malformedOfferReason(offer((s) => s.replace(/a=candidate:.*\r\n/g, "")))).toBeUndefined();
    expect(
      malformedOfferReason(offer((s) => s.replace("a=rtcp-fb:97 nack\r\n", "a=rtcp-fb:* nack\r\na=fmtp:98 apt=97\r\n"))),
    ).toBeUndefined();
  });

  it.each<[string, (sdp: string) => string, RegExp]>([
    [
      "payload type 200 in the m-line and rtpmap",
      (s) => s.replace("SAVPF 97", "SAVPF 200").replace("rtpmap:97", "rtpmap:200"),
      /video section \(m-line 2\) uses payload type "200": RTP payload types are whole numbers from 0 to 127/,
    ],
    [
      "payload type 99999",
      (s) => s.replace("SAVPF 96", "SAVPF 99999").replace("rtpmap:96", "rtpmap:99999"),
      /audio section .* payload type "99999"/,
    ],
    ["a negative payload type", (s) => s.replace("rtpmap:96", "rtpmap:-1"), /payload type "-1"/],
    ["payload type 128 in rtcp-fb only", (s) => s.replace("rtcp-fb:97 nack pli", "rtcp-fb:128 nack pli"), /payload type "128"/],
    [
      "an rtx apt of 300",
      (s) => s.replace("a=rtcp-mux\r\na=rtpmap:97", "a=rtcp-mux\r\na=fmtp:97 apt=300\r\na=rtpmap:97"),
      /payload type "300"/,
    ],
    ["no fingerprint", (s) => s.replace(/a=fingerprint:.*\r\n/g, ""), /has no a=fingerprint/],
    [
      "sha-999 only",
      (s) => s.replaceAll("a=fingerprint:sha-256", "a=fingerprint:sha-999"),
      /fingerprint only in sha-999; the server checks sha-224, sha-256, sha-384, sha-512/,
    ],
    ["sha-1 only", (s) => s.replaceAll(FINGERPRINT, "sha-1 05:7C:3D:10:F7:B0:28:BB:CD:7E:3C:3E:C7:B0:8E:F9:B4:54:74:F7"), /only in sha-1/],
    ["an empty fingerprint", (s) => s.replaceAll(FINGERPRINT, ""), /fingerprint with no digest/],
    ["a fingerprint with no digest", (s) => s.replaceAll(FINGERPRINT, "sha-256"), /fingerprint with no digest/],
    ["a sha-256 digest of 3 bytes", (s) => s.replaceAll(FINGERPRINT, "sha-256 AA:BB:CC"), /sha-256 fingerprint that is not 32 hex bytes/],
    ["no ice-ufrag", (s) => s.replace(/a=ice-ufrag:.*\r\n/g, ""), /has no a=ice-ufrag/],
    ["no ice-pwd", (s) => s.replace(/a=ice-pwd:.*\r\n/g, ""), /has no a=ice-pwd/],
    ["an empty ice-ufrag", (s) => s.replaceAll("a=ice-ufrag:c1ff", "a=ice-ufrag:"), /a=ice-ufrag that is not 4 to 256/],
    ["a short ice-pwd", (s) => s.replaceAll("a=ice-pwd:fc7810af53277fccecafcf", "a=ice-pwd:abc"), /a=ice-pwd that is not 22 to 256/],
    [
      "a junk candidate",
      (s) => s.replace(/a=candidate:.*\r\n/, "a=candidate:garbage\r\n"),
      /candidate 1 of the offer \("candidate:garbage"\) has too few fields/,
    ],
    ["a candidate with a port of 70000", (s) => s.replace("37169 typ", "70000 typ"), /port "70000"/],
    [
      "a candidate naming a DNS name",
      (s) => s.replace("127.0.0.1 37169", "attacker.example 37169"),
      /neither an IP address nor an mDNS \.local name/,
    ],
    ["a candidate naming a broadcast address", (s) => s.replace("127.0.0.1 37169", "255.255.255.255 37169"), /not a unicast address/],
    ["a candidate of an unknown type", (s) => s.replace("typ host", "typ bogus"), /has no type/],
    [
      `${MAX_REMOTE_CANDIDATES + 1} candidates`,
      (s) => s.replace("a=end-of-candidates", `${candidates(MAX_REMOTE_CANDIDATES - 1)}\r\na=end-of-candidates`),
      new RegExp(`has ${MAX_REMOTE_CANDIDATES + 1} candidates; the server takes at most ${MAX_REMOTE_CANDIDATES}`),
    ],
    ["800 candidates", (s) => s.replace("a=end-of-candidates", `${candidates(798)}\r\na=end-of-candidates`), /has 800 candidates/],
  ])("refuses %s, naming it", (_what, edit, reason) => {
    expect(malformedOfferReason(offer(edit))).toMatch(reason);
  });

  it("ignores rejected sections' credentials, and says at most three things", () => {
    expect(
      malformedOfferReason(offer((s) => s.replace("m=video 9", "m=video 0").replace(/(m=video[^]*)a=ice-ufrag:c1ff\r\n/, "$1"))),
    ).toBeUndefined();
    const everything = offer((s) => s.replace(/a=(ice-ufrag|ice-pwd|fingerprint):.*\r\n/g, ""));
    expect(malformedOfferReason(everything)?.split("; ")).toHaveLength(3);
    expect(malformedOfferReason(offer((s) => s.replaceAll(" 9 UDP", " 0 UDP")))).toMatch(/no section of the offer has a port other than 0/);
  });
});

describe("candidateProblem", () => {
  it.each([
    HOST,
    `a=${HOST}`,
    "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXvN network-cost 999",
    "candidate:1 1 UDP 2122252543 3f2a8c40-49a1-4d8c-9c8f-6a0d2a6b8f6e.local 51823 typ host",
    "candidate:2 1 TCP 2105524479 192.0.2.10 9 typ host tcptype active",
    "candidate:3 1 udp 41885439 2001:db8::1 3478 typ relay raddr 198.51.100.1 rport 50000",
  ])("accepts %s", (candidate) => {
    expect(candidateProblem(candidate)).toBeUndefined();
  });

  it.each<[string, RegExp]>([
    ["", /does not start with candidate:/],
    ["candidate:", /too few fields/],
    ["candidate:1 1 sctp 1 127.0.0.1 9 typ host", /transport "sctp"/],
    ["candidate:1 0 udp 1 127.0.0.1 9 typ host", /component/],
    ["candidate:1 1 udp 0 127.0.0.1 9 typ host", /priority/],
    ["candidate:1 1 udp 99999999999 127.0.0.1 9 typ host", /priority/],
    ["candidate:1 1 udp 1 127.0.0.1 0 typ host", /port "0"/],
    ["candidate:1 1 udp 1 224.0.0.251 5353 typ host", /not a unicast address/],
    ["candidate:1 1 udp 1 ff02::1 5353 typ host", /not a unicast address/],
    ["candidate:1 1 udp 1 0.0.0.0 5353 typ host", /not a unicast address/],
    ["candidate:1 1 udp 1 127.0.0.1 9 type host", /has no type/],
    ["candidate:1 1 udp 1 127.0.0.1 9 typ host generation", /extension name without a value/],
    ["candidate:f@@ 1 udp 1 127.0.0.1 9 typ host", /foundation/],
  ])("refuses %j", (candidate, reason) => {
    expect(candidateProblem(candidate)).toMatch(reason);
  });
});

describe("RemoteCandidates", () => {
  it(`admits trickled candidates up to ${MAX_REMOTE_CANDIDATES} with the offer's, and refuses junk without counting it`, () => {
    const remote = new RemoteCandidates();
    remote.offered(offer());
    expect(remote.admit("")).toBeUndefined();
    expect(remote.admit("candidate:nonsense")).toMatch(/too few fields/);
    for (let i = 2; i < MAX_REMOTE_CANDIDATES; i++) expect(remote.admit(HOST.replace("37169", String(30000 + i)))).toBeUndefined();
    expect(remote.admit(HOST)).toMatch(
      new RegExp(`has given ${MAX_REMOTE_CANDIDATES} candidates already; the server takes at most ${MAX_REMOTE_CANDIDATES}`),
    );
    // The end of candidates is still welcome.
    expect(remote.admit("")).toBeUndefined();
  });
});

describe("applyFailureMessage", () => {
  it.each<[unknown, string]>([
    [new Error("remote fingerprint not exist"), "remote fingerprint not exist"],
    [
      new TypeError("Cannot read properties of undefined (reading 'iceParams')"),
      "the server's WebRTC stack failed on it (the server's log has the cause)",
    ],
    [new RangeError("offset out of range"), "the server's WebRTC stack failed on it (the server's log has the cause)"],
    [new Error(""), "the server's WebRTC stack failed on it (the server's log has the cause)"],
    ["a string", "the server's WebRTC stack failed on it (the server's log has the cause)"],
  ])("tells the participant %s as %j", (err, message) => {
    expect(applyFailureMessage(err)).toBe(message);
  });
});
