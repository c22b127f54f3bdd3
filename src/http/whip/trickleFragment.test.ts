import { describe, expect, it } from "vitest";
import { MAX_FRAGMENT_CANDIDATES, parseTrickleFragment } from "./trickleFragment.js";

const host = "candidate:1 1 UDP 2130706431 127.0.0.1 50000 typ host";

describe("parseTrickleFragment", () => {
  const cases: { name: string; body: string; want: unknown }[] = [
    {
      name: "RFC 8840 example: credentials, one media section, candidates, end",
      body: [
        "a=ice-ufrag:EsAw",
        "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1",
        "m=audio 9 RTP/AVP 0",
        "a=mid:0",
        `a=${host}`,
        "a=end-of-candidates",
        "",
      ].join("\r\n"),
      want: { ufrag: "EsAw", pwd: "P2uYro0UCOQ4zxjKXaWCBui1", candidates: [{ candidate: host, sdpMid: "0" }], endOfCandidates: true },
    },
    {
      name: "credentials inside the media section, LF line ends (GStreamer's)",
      body: ["m=video 9 UDP/TLS/RTP/SAVPF 96", "a=ice-ufrag:abcd", "a=ice-pwd:x", "a=mid:video0", `a=${host}`].join("\n"),
      want: { ufrag: "abcd", pwd: "x", candidates: [{ candidate: host, sdpMid: "video0" }], endOfCandidates: false },
    },
    {
      name: "end of candidates alone",
      body: "a=end-of-candidates\r\n",
      want: { ufrag: undefined, pwd: undefined, candidates: [], endOfCandidates: true },
    },
    { name: "not SDP", body: "hello there", want: { problem: '"hello there" is not an SDP line' } },
    {
      name: "a truncated candidate",
      body: "a=candidate:1 1 UDP 5\r\n",
      want: { problem: '"a=candidate:1 1 UDP 5" is not a complete ICE candidate' },
    },
    {
      name: "too many candidates",
      body: Array.from({ length: MAX_FRAGMENT_CANDIDATES + 1 }, () => `a=${host}`).join("\r\n"),
      want: { problem: `more than ${MAX_FRAGMENT_CANDIDATES} candidates in one fragment` },
    },
  ];
  for (const c of cases) it(c.name, () => expect(parseTrickleFragment(c.body)).toEqual(c.want));
});
