import { MediaStreamTrack, RTCPeerConnection, useOPUS, useVP8 } from "werift";
import { disableImplicitStun } from "../../src/peers/noDefaultStun.js";

/** A real offer (audio and video) from a werift peer on 127.0.0.1, as a client would send; `close` releases its sockets. */
export async function loopbackOffer(): Promise<{ sdp: string; close: () => Promise<void> }> {
  const pc = new RTCPeerConnection({
    codecs: { video: [useVP8()], audio: [useOPUS()] },
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceServers: [],
  });
  pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
  pc.addTransceiver(new MediaStreamTrack({ kind: "video" }), { direction: "sendrecv" });
  const offer = await pc.createOffer();
  disableImplicitStun(pc, false);
  await pc.setLocalDescription(offer);
  if (pc.iceGatheringState !== "complete") await pc.iceGatheringStateChange.watch((s) => s === "complete", 5000).catch(() => undefined);
  return { sdp: pc.localDescription!.sdp, close: () => pc.close().catch(() => undefined) };
}
