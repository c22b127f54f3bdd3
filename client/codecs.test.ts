import { describe, expect, it } from "vitest";
import { orderVideoCodecs, usableCodecs } from "./codecs.js";

const c = (mimeType: string, sdpFmtpLine = "") => ({ mimeType, sdpFmtpLine });

describe("video codec order", () => {
  it("puts VP8 first, H264 next, keeps rtx/red/fec and drops the rest", () => {
    const chrome = [
      c("video/VP9"),
      c("video/rtx"),
      c("video/H264", "a"),
      c("video/VP8"),
      c("video/AV1"),
      c("video/H264", "b"),
      c("video/red"),
      c("video/ulpfec"),
    ];
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

describe("what a device needs", () => {
  const vp8 = c("video/VP8");
  const h264 = c("video/H264", "packetization-mode=1");
  const rtx = c("video/rtx");
  const cases = [
    {
      name: "VP8 and H264 both ways: VP8 first, H264 kept",
      receive: [h264, vp8, rtx],
      send: [vp8, h264, rtx],
      sends: true,
      offered: [vp8, h264, rtx],
    },
    { name: "no VP8 at all (an H264-only device): H264 alone", receive: [h264, rtx], send: [h264, rtx], sends: true, offered: [h264, rtx] },
    {
      name: "decodes VP8 but cannot encode it, on the camera's transceiver: H264 alone",
      receive: [vp8, h264, rtx],
      send: [h264, rtx],
      sends: true,
      offered: [h264, rtx],
    },
    {
      name: "the same device receiving only (a viewer, a forward): VP8 first",
      receive: [vp8, h264, rtx],
      send: [h264, rtx],
      sends: false,
      offered: [vp8, h264, rtx],
    },
    { name: "no sender capabilities known: the receiver's", receive: [vp8, h264], send: null, sends: true, offered: [vp8, h264] },
  ];
  it.each(cases)("$name", ({ receive, send, sends, offered }) => {
    expect(orderVideoCodecs(usableCodecs(receive, sends ? send : null))).toEqual(offered);
  });
});
