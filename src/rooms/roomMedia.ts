import { RoomMixer, type RoomMixerEvents, type RoomMixerOptions } from "../../mixer/roomMixer.js";
import { McuPeer } from "../peers/mcuPeer.js";
import type { PeerConfig, PeerConnection, PeerEvents } from "../peers/peerConnection.js";
import { SfuPeer } from "../peers/sfuPeer.js";

/** What an MCU room asks of its mixer (a RoomMixer in the server; a fake in room tests). */
export type RoomMixing = Pick<
  RoomMixer,
  | "addSender"
  | "removeSender"
  | "addAudioListener"
  | "removeAudioListener"
  | "setListenerLoss"
  | "setVideoCodec"
  | "pushVideoRtp"
  | "start"
  | "requestKeyframe"
  | "setReceiverStreams"
  | "ladder"
  | "pushAudioRtp"
  | "setLayout"
  | "addScreen"
  | "removeScreen"
  | "layout"
  | "layoutChoice"
  | "activeSpeaker"
  | "videoStats"
  | "audioStats"
  | "ffmpegPids"
  | "record"
  | "close"
> & {
  on<K extends keyof RoomMixerEvents>(event: K, listener: (...args: RoomMixerEvents[K]) => void): unknown;
};

/** What every room asks of a participant's peer connection. */
export type ParticipantPeer = Pick<
  PeerConnection,
  "answer" | "hasOffer" | "addRemoteCandidate" | "isConnected" | "requestKeyframe" | "close"
> &
  Partial<Pick<PeerConnection, "link">> & {
    on<K extends keyof PeerEvents>(event: K, listener: (...args: PeerEvents[K]) => void): unknown;
  };

/** An MCU participant's peer: it also carries the mix back. */
export type MixReceivingPeer = ParticipantPeer &
  Pick<McuPeer, "sendVideo" | "sendAudio" | "mixCodec" | "receivesMix"> &
  Partial<Pick<McuPeer, "probeLink">>;

/** An SFU participant's peer: it also carries the other senders' streams, renegotiated by the server. */
export type ForwardingPeer = ParticipantPeer &
  Pick<
    SfuPeer,
    "addForward" | "forward" | "sourceRestarted" | "labelForwardedVideo" | "removeForward" | "createOffer" | "applyAnswer" | "receivesVp8"
  >;

/**
 * How rooms make their media objects. The server's is `realRoomMedia` (werift peers, ffmpeg mixers);
 * room tests pass fakes, so room rules are tested without a network or a child process.
 */
export interface RoomMediaFactory {
  mcuPeer(config: PeerConfig): MixReceivingPeer;
  /** `preferH264`: asked at the participant's offer; true answers it with H264 first (SfuPeer). */
  sfuPeer(config: PeerConfig, onKeyframeRequest: (sourceId: string) => void, preferH264?: () => boolean): ForwardingPeer;
  mixer(options: RoomMixerOptions): RoomMixing;
}

export const realRoomMedia: RoomMediaFactory = {
  mcuPeer: (config) => new McuPeer(config),
  sfuPeer: (config, onKeyframeRequest, preferH264) => new SfuPeer(config, onKeyframeRequest, preferH264),
  mixer: (options) => new RoomMixer(options),
};
