/** The video codecs Tessera receives and sends: VP8 everywhere, H264 for devices that prefer or need it. */
export type VideoCodec = "vp8" | "h264";
