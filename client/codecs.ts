// Video codec preference for what goes to the server, which decodes VP8 and H264 only, VP8 preferred.
//
// A device "needs" H264 only when VP8 is missing from what its browser says it can do on that transceiver:
// RTCRtpReceiver.getCapabilities for a receive-only one, and RTCRtpSender.getCapabilities as well for one that
// also sends (the camera's, which in an MCU room also brings the mix back). That is how an H264-only device
// (older iOS Safari, phones and set-top boxes whose browser uses the hardware codec alone) describes itself; the
// page then offers H264 alone, the server decodes it and sends the mix back as H264. Every other device keeps
// VP8 first and H264 second: the page never drops VP8 from a device that has it.

export interface CodecLike {
  mimeType: string;
}

const PREFERRED = ["video/vp8", "video/h264"];
// Not media codecs but helpers that travel with them (retransmission, redundancy, FEC).
const AUXILIARY = ["video/rtx", "video/red", "video/ulpfec", "video/flexfec-03"];

/**
 * VP8 first, then H264, then the auxiliary codecs; other media codecs (VP9, AV1, H265) are dropped,
 * which also keeps the offer small. Returns null when neither VP8 nor H264 is available (leave the
 * browser's default order alone then: the server will answer `no-usable-codec`).
 */
export function orderVideoCodecs<T extends CodecLike>(codecs: readonly T[]): T[] | null {
  const rank = (c: T) => PREFERRED.indexOf(c.mimeType.toLowerCase());
  const media = codecs.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  if (media.length === 0) return null;
  const auxiliary = codecs.filter((c) => AUXILIARY.includes(c.mimeType.toLowerCase()));
  return [...media, ...auxiliary];
}

/**
 * The receive capabilities a transceiver can use: all of them when it only receives; when it also sends, those
 * whose codec (by MIME type) the device can send too. A device that decodes VP8 but cannot encode it gets no VP8.
 */
export function usableCodecs<T extends CodecLike>(receive: readonly T[], send: readonly CodecLike[] | null): T[] {
  if (!send) return [...receive];
  const sendable = new Set(send.map((c) => c.mimeType.toLowerCase()));
  return receive.filter((c) => sendable.has(c.mimeType.toLowerCase()));
}

/**
 * Applies the server's order to a video transceiver where the browser supports it. `sends`: the transceiver
 * sends as well as receives (the camera's). Not for mesh rooms: there the other end is a browser that
 * negotiates a codec with this one by itself (and Firefox's offer after setCodecPreferences keeps rtcp-fb lines
 * for the codecs it dropped, which Chromium refuses to parse).
 */
export function preferServerCodecs(transceiver: RTCRtpTransceiver, sends: boolean): void {
  if (typeof transceiver.setCodecPreferences !== "function" || typeof RTCRtpReceiver.getCapabilities !== "function") return;
  const receive = RTCRtpReceiver.getCapabilities("video")?.codecs;
  if (!receive) return;
  const send = sends && typeof RTCRtpSender.getCapabilities === "function" ? (RTCRtpSender.getCapabilities("video")?.codecs ?? null) : null;
  const ordered = orderVideoCodecs(usableCodecs(receive, send));
  if (!ordered) return;
  try {
    transceiver.setCodecPreferences(ordered);
  } catch (error) {
    console.warn("tessera: setCodecPreferences failed, using the browser's codec order", error);
  }
}
