import { describe, expect, it } from "vitest";
import { orderVideoCodecs } from "./codecs.js";

const c = (mimeType: string, sdpFmtpLine = "") => ({ mimeType, sdpFmtpLine });

describe("video codec order", () => {
  it("puts VP8 first, H264 next, keeps rtx/red/fec and drops the rest", () => {
    const chrome = [c("video/VP9"), c("video/rtx"), c("video/H264", "a"), c("video/VP8"), c("video/AV1"), c("video/H264", "b"), c("video/red"), c("video/ulpfec")];
    expect(orderVideoCodecs(chrome)).toEqual([
      c("video/VP8"),
      c("video/H264", "a"),
      c("video/H264", "b"),
      c("video/rtx"),
      c("video/red"),
      c("video/ulpfec"),
    ]);
  });

  it("gives up when neither VP8 nor H264 is offered", () => {
    expect(orderVideoCodecs([c("video/VP9"), c("video/rtx")])).toBeNull();
  });
});
