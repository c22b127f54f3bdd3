import { describe, expect, it } from "vitest";
import { offerCodecs, tooManySectionsReason, unusableOfferReason, withBundleOnlyOnBundlePort } from "./sdpCodecs.js";

const sdp = (...lines: string[]) => ["v=0", ...lines].join("\r\n");

describe("offer codec check", () => {
  it("accepts VP8 or H264 with Opus", () => {
    expect(
      unusableOfferReason(
        sdp("m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=rtpmap:111 opus/48000/2", "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rtpmap:96 VP8/90000"),
      ),
    ).toBeUndefined();
    expect(
      unusableOfferReason(sdp("m=audio 9 X 111", "a=rtpmap:111 opus/48000/2", "m=video 9 X 102", "a=rtpmap:102 H264/90000")),
    ).toBeUndefined();
  });

  it("names the missing codec", () => {
    expect(unusableOfferReason(sdp("m=audio 9 X 0", "a=rtpmap:0 PCMU/8000", "m=video 9 X 98", "a=rtpmap:98 VP9/90000"))).toBe(
      "no usable video codec (offered VP9; the server takes VP8 or H264); no usable audio codec (offered PCMU; the server takes Opus)",
    );
    expect(unusableOfferReason(sdp("m=audio 9 X 111", "a=rtpmap:111 opus/48000/2"))).toBe("the offer has no video section");
  });
});

// Sessions as browsers write them under bundlePolicy "max-bundle": Chromium puts every section on the
// bundle's port; Firefox, as RFC 8843 and RFC 8829 §5.2.1 say, gives every section after the first
// port 0 with a=bundle-only. Port 0 without bundle-only (or outside the BUNDLE group) is a rejected section.
const AUDIO = ["a=mid:0", "a=rtpmap:109 opus/48000/2"];
const VIDEO = ["a=mid:1", "a=rtpmap:120 VP8/90000"];
const BUNDLE = "a=group:BUNDLE 0 1";

describe("which sections of an offer count", () => {
  const cases: { name: string; sdp: string; video: string[]; audio: string[] }[] = [
    {
      name: "Chromium: every section on the bundle's port",
      sdp: sdp(BUNDLE, "m=audio 9 X 109", ...AUDIO, "m=video 9 X 120", ...VIDEO),
      video: ["VP8"],
      audio: ["OPUS"],
    },
    {
      name: "Firefox: bundle-only port 0 after the first",
      sdp: sdp(BUNDLE, "m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", ...VIDEO, "a=bundle-only"),
      video: ["VP8"],
      audio: ["OPUS"],
    },
    {
      name: "bundle-only before the mid line",
      sdp: sdp(BUNDLE, "m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", "a=bundle-only", ...VIDEO),
      video: ["VP8"],
      audio: ["OPUS"],
    },
    {
      name: "port 0 without bundle-only: rejected",
      sdp: sdp(BUNDLE, "m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", ...VIDEO),
      video: [],
      audio: ["OPUS"],
    },
    {
      name: "bundle-only outside any BUNDLE group: rejected",
      sdp: sdp("m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", ...VIDEO, "a=bundle-only"),
      video: [],
      audio: ["OPUS"],
    },
    {
      name: "bundle-only whose mid the group does not name: rejected",
      sdp: sdp("a=group:BUNDLE 0", "m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", ...VIDEO, "a=bundle-only"),
      video: [],
      audio: ["OPUS"],
    },
    {
      name: "bundle-only without a mid: rejected",
      sdp: sdp(BUNDLE, "m=audio 9 X 109", ...AUDIO, "m=video 0 X 120", "a=rtpmap:120 VP8/90000", "a=bundle-only"),
      video: [],
      audio: ["OPUS"],
    },
    {
      name: "a BUNDLE line inside a section is not the session's",
      sdp: sdp("m=audio 9 X 109", ...AUDIO, BUNDLE, "m=video 0 X 120", ...VIDEO, "a=bundle-only"),
      video: [],
      audio: ["OPUS"],
    },
  ];
  it.each(cases)("$name", ({ sdp: offer, video, audio }) => {
    expect(offerCodecs(offer)).toEqual({ video, audio });
  });

  it("puts bundle-only sections on the bundle's port for werift, and nothing else", () => {
    for (const c of cases) {
      const rewritten = withBundleOnlyOnBundlePort(c.sdp);
      expect(offerCodecs(rewritten), c.name).toEqual({ video: c.video, audio: c.audio });
      const bundledVideo = c.video.length > 0;
      expect(rewritten.includes("m=video 0 "), c.name).toBe(!bundledVideo);
      expect(rewritten.replace("m=video 9 ", "m=video 0 "), c.name).toBe(c.sdp.replace("m=video 9 ", "m=video 0 "));
    }
  });

  it("takes Firefox's offer and still names a rejected video section", () => {
    expect(unusableOfferReason(cases[1].sdp)).toBeUndefined();
    expect(unusableOfferReason(cases[3].sdp)).toBe("the offer has no video section");
  });
});

describe("offer section limit", () => {
  it("accepts one audio and one video section, or fewer", () => {
    expect(tooManySectionsReason(sdp("m=audio 9 X 111", "m=video 9 X 96"))).toBeUndefined();
    expect(tooManySectionsReason(sdp("m=video 9 X 96"))).toBeUndefined();
  });

  it("refuses extra sections of any kind, naming what was offered", () => {
    const thirty = sdp(...Array.from({ length: 30 }, (_, i) => (i % 2 ? "m=video 9 X 96" : "m=audio 9 X 111")));
    expect(tooManySectionsReason(thirty)).toBe(
      "the offer has 30 media sections (15 audio, 15 video): a participant sends at most one audio and one video section",
    );
    expect(tooManySectionsReason(sdp("m=audio 9 X 111", "m=video 9 X 96", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"))).toMatch(
      /1 application/,
    );
  });
});
