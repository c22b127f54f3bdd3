import { describe, expect, it } from "vitest";
import { tooManySectionsReason, unusableOfferReason } from "./sdpCodecs.js";

const sdp = (...lines: string[]) => ["v=0", ...lines].join("\r\n");

describe("offer codec check", () => {
  it("accepts VP8 or H264 with Opus", () => {
    expect(unusableOfferReason(sdp("m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=rtpmap:111 opus/48000/2", "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rtpmap:96 VP8/90000"))).toBeUndefined();
    expect(unusableOfferReason(sdp("m=audio 9 X 111", "a=rtpmap:111 opus/48000/2", "m=video 9 X 102", "a=rtpmap:102 H264/90000"))).toBeUndefined();
  });

  it("names the missing codec", () => {
    expect(unusableOfferReason(sdp("m=audio 9 X 0", "a=rtpmap:0 PCMU/8000", "m=video 9 X 98", "a=rtpmap:98 VP9/90000"))).toBe(
      "no usable video codec (offered VP9; the server takes VP8 or H264); no usable audio codec (offered PCMU; the server takes Opus)",
    );
    expect(unusableOfferReason(sdp("m=audio 9 X 111", "a=rtpmap:111 opus/48000/2"))).toBe("the offer has no video section");
  });

  it("ignores rejected sections", () => {
    expect(unusableOfferReason(sdp("m=audio 9 X 111", "a=rtpmap:111 opus/48000/2", "m=video 0 X 96", "a=rtpmap:96 VP8/90000"))).toBe("the offer has no video section");
  });
});

describe("offer section limit", () => {
  it("accepts one audio and one video section, or fewer", () => {
    expect(tooManySectionsReason(sdp("m=audio 9 X 111", "m=video 9 X 96"))).toBeUndefined();
    expect(tooManySectionsReason(sdp("m=video 9 X 96"))).toBeUndefined();
  });

  it("refuses extra sections of any kind, naming what was offered", () => {
    const thirty = sdp(...Array.from({ length: 30 }, (_, i) => (i % 2 ? "m=video 9 X 96" : "m=audio 9 X 111")));
    expect(tooManySectionsReason(thirty)).toBe("the offer has 30 media sections (15 audio, 15 video): a participant sends at most one audio and one video section");
    expect(tooManySectionsReason(sdp("m=audio 9 X 111", "m=video 9 X 96", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"))).toMatch(/1 application/);
  });
});
