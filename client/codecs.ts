// Video codec preference: the server decodes VP8 and H264 only, VP8 preferred.

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

/** Applies the order to a video transceiver where the browser supports it. */
export function preferVp8(transceiver: RTCRtpTransceiver): void {
  if (typeof transceiver.setCodecPreferences !== "function" || typeof RTCRtpReceiver.getCapabilities !== "function") return;
  const capabilities = RTCRtpReceiver.getCapabilities("video");
  const ordered = capabilities ? orderVideoCodecs(capabilities.codecs) : null;
  if (!ordered) return;
  try {
    transceiver.setCodecPreferences(ordered);
  } catch (error) {
    console.warn("tessera: setCodecPreferences failed, using the browser's codec order", error);
  }
}
