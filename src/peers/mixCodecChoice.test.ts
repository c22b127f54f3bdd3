import { describe, expect, it } from "vitest";
import { chooseMixCodec } from "./mixCodecChoice.js";

const vp8 = { mimeType: "video/VP8", payloadType: 96 };
const h264High = {
  mimeType: "video/H264",
  payloadType: 102,
  parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f",
};
const h264Cb = {
  mimeType: "video/H264",
  payloadType: 104,
  parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
};
const h264Mode0 = {
  mimeType: "video/H264",
  payloadType: 106,
  parameters: "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
};

describe("the codec a receiver gets the mix in", () => {
  it("is VP8 when the offer lists VP8 first (Chrome, Firefox)", () => {
    expect(chooseMixCodec([vp8, h264Cb])).toEqual({ codec: "vp8", entry: vp8 });
  });

  it("is H264 in constrained baseline when the offer lists H264 first (Safari: High, then baseline, then VP8)", () => {
    expect(chooseMixCodec([h264High, h264Cb, vp8])).toEqual({ codec: "h264", entry: h264Cb });
  });

  it("is H264 as offered when only High is offered (constrained baseline decodes in any profile)", () => {
    expect(chooseMixCodec([h264High])).toEqual({ codec: "h264", entry: h264High });
  });

  it("skips H264 in packetization-mode 0, which the mix's packetizer does not write", () => {
    expect(chooseMixCodec([h264Mode0, vp8])).toEqual({ codec: "vp8", entry: vp8 });
    expect(chooseMixCodec([h264Mode0])).toBeUndefined();
  });
});
