import type { VideoCodec } from "../../mixer/video/videoCodec.js";

/** A codec of the answer's video section, as werift negotiated it (the offer's order, the offer's fmtp). */
export interface NegotiatedVideoCodec {
  readonly mimeType: string;
  readonly payloadType?: number;
  readonly parameters?: string;
}

export interface MixCodecChoice<C extends NegotiatedVideoCodec> {
  readonly codec: VideoCodec;
  /** The negotiated entry the mix goes out as (its payload type goes on the wire). */
  readonly entry: C;
}

function fmtp(parameters: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (parameters ?? "").split(";")) {
    const [key, value] = part.split("=").map((s) => s.trim());
    if (key) map.set(key.toLowerCase(), (value ?? "").toLowerCase());
  }
  return map;
}

/** H264 the mix can be sent as: packetization-mode 1 (FU-A), which the packetizer writes. */
function sendableH264(c: NegotiatedVideoCodec): boolean {
  return c.mimeType.toLowerCase() === "video/h264" && fmtp(c.parameters).get("packetization-mode") === "1";
}

/**
 * Constrained baseline first (42e0xx, what the encoder makes), then any baseline, then any H264: a
 * constrained-baseline stream is valid in every profile's decoder, so a receiver that offered only High still
 * decodes it.
 */
function h264Rank(c: NegotiatedVideoCodec): number {
  const profile = fmtp(c.parameters).get("profile-level-id") ?? "";
  if (profile.startsWith("42e0")) return 0;
  if (profile.startsWith("42")) return 1;
  return 2;
}

/**
 * The codec a receiver gets the mix in: its own first choice between VP8 and H264, as a browser lists them
 * in its offer (Safari and many phones put H264 first, for its hardware decoder). Undefined when the offer
 * has neither VP8 nor H264 in packetization-mode 1.
 */
export function chooseMixCodec<C extends NegotiatedVideoCodec>(negotiated: readonly C[]): MixCodecChoice<C> | undefined {
  const first = negotiated.find((c) => c.mimeType.toLowerCase() === "video/vp8" || sendableH264(c));
  if (!first) return undefined;
  if (first.mimeType.toLowerCase() === "video/vp8") return { codec: "vp8", entry: first };
  const h264 = negotiated.filter(sendableH264).sort((a, b) => h264Rank(a) - h264Rank(b));
  return { codec: "h264", entry: h264[0] };
}
