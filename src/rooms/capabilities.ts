import type { RecordingState, RoomMode, SignalData } from "../../protocol/messages.js";
import type { LayoutChoice } from "../../protocol/layoutDefinition.js";
import type { LinkReport } from "../peers/linkMonitor.js";
import type { RecordingFormat } from "../../protocol/recordingFormat.js";
import type { AudioMixerStats } from "../../mixer/audio/audioMixer.js";
import type { VideoMixerStats } from "../../mixer/video/videoMixer.js";
import type { DisplayBox } from "./rungChooser.js";
import { WrongModeError } from "./errors.js";
import type { IceCandidate } from "../../protocol/messages.js";
import type { RecordingInfo, RecordingOrigin } from "../recordings/recordingInfo.js";

/** The participant's own offer and candidates, answered by a server peer connection (MCU, SFU). */
export interface PeerNegotiation {
  /** Resolves to the server's answer SDP. */
  offer(id: string, sdp: string): Promise<string>;
  /** Whether the participant's current connection has taken an offer: its peer's own record (PeerConnection.hasOffer). */
  hasOffer(id: string): boolean;
  candidate(id: string, candidate: IceCandidate | null): Promise<void>;
}

/** Offers the server makes and the participant answers (the SFU's renegotiation). */
export interface ServerOffers {
  answer(id: string, sdp: string): Promise<void>;
}

/** SDP and candidates relayed between two participants (mesh). */
export interface SignalRelay {
  signal(from: string, to: string, data: SignalData): void;
}

/** The composite's arrangement and whom it highlights (MCU). */
export interface LayoutControl {
  /** The choice as it stands (a departed pin's `speaker`; a shared screen's presentation is drawn, not reported). */
  readonly layoutChoice: LayoutChoice;
  /** An unknown `pin` throws UnknownParticipantError, a viewer's NotASenderError, an unknown layout RangeError. */
  setLayout(choice: LayoutChoice): void;
  /** Who the mixer hears speaking now. */
  readonly activeSpeaker: string | undefined;
}

/** A participant's shared screen, on a second peer connection of theirs (MCU: drawn in the mix; SFU: forwarded). One share per room at a time. */
export interface ScreenShareControl {
  /**
   * The sharer's offer for the screen's connection; resolves to the answer. A viewer is refused; so is a
   * second sharer (ScreenBusyError) unless SCREEN_SHARE_POLICY is `takeover`, which stops the first.
   */
  shareScreen(id: string, sdp: string): Promise<string>;
  screenCandidate(id: string, candidate: IceCandidate | null): Promise<void>;
  /** Stops the participant's share, if they share. */
  stopScreen(id: string, reason: string): void;
  /** Who shares now. */
  readonly screenSharer: string | undefined;
}

/** What a start may choose; the server's settings fill in the rest. */
export interface RecordingOptions {
  /** The display name of the participant who starts it (the REC indicator says it). */
  readonly startedBy?: string;
  /** The container; RECORDING_FORMAT when absent. */
  readonly format?: RecordingFormat;
  /** Each participant's voice in a file of its own as well; RECORDING_VOICES when absent. */
  readonly voices?: boolean;
  /** The recording this one continues (its room's media worker died): named in its info and timeline. */
  readonly continues?: string;
}

/** Recording the composite (MCU). */
export interface RecordingControl {
  /** The recording in progress, if any. */
  readonly activeRecording: RecordingInfo | undefined;
  /**
   * The REC indicator, composed here alone: what `joined` tells a newcomer and every `recording` broadcast
   * carries (null while none runs; `startedBy` the participant who started it, absent for the API and AUTO_RECORD).
   */
  readonly recordingState: RecordingState;
  /**
   * Throws RecordingStateError if one is running, and RateLimitedError when participants start
   * recordings faster than one per RECORDING_START_INTERVAL_MS.
   */
  startRecording(by: RecordingOrigin, options?: RecordingOptions): Promise<RecordingInfo>;
  /** Finishes the file and its timeline; throws RecordingStateError if none is running or `by` may not stop it. */
  stopRecording(by: RecordingOrigin): Promise<RecordingInfo>;
}

/** The box each page shows the mix in, which sizes and shapes what it is sent (MCU). */
export interface DisplayControl {
  setDisplay(id: string, display: DisplayBox): void;
}

/** The mixer's figures for one room: its video and audio mixers and its ffmpeg children. */
export interface RoomMediaStats {
  readonly video: VideoMixerStats;
  readonly audio: AudioMixerStats;
  readonly ffmpegPids: readonly number[];
}

/** The media plane's figures, for /metrics (MCU). */
export interface MixStats {
  readonly mediaStats: RoomMediaStats;
}

/** Each participant's link as the server measures it from their RTCP (MCU, SFU: rooms with a server peer). */
export interface LinkStats {
  /** Undefined for an unknown participant or one not connected yet. */
  linkOf(id: string): LinkReport | undefined;
}

/**
 * What a room can do beyond what every room does. A mode has a capability or lacks it; a request for one
 * it lacks is answered `wrong-mode` (signaling) or 409 (control API), with the sentence below.
 */
export interface RoomCapabilities {
  readonly negotiation?: PeerNegotiation;
  readonly serverOffers?: ServerOffers;
  readonly relay?: SignalRelay;
  readonly layout?: LayoutControl;
  readonly recording?: RecordingControl;
  readonly mix?: MixStats;
  readonly display?: DisplayControl;
  readonly links?: LinkStats;
  readonly screenShare?: ScreenShareControl;
}

/** The room as far as naming a missing capability needs it. */
interface Named {
  readonly name: string;
  readonly mode: RoomMode;
  readonly capabilities: RoomCapabilities;
}

const MODE_NAMES: Record<RoomMode, string> = { mcu: "an MCU", sfu: "an SFU", mesh: "a mesh" };

const missing: { readonly [K in keyof RoomCapabilities]-?: (room: Named) => string } = {
  negotiation: (room) =>
    room.mode === "mesh"
      ? "this is a mesh room: send offers and candidates to other participants with signal, not to the server"
      : `room "${room.name}" takes no offer`,
  serverOffers: (room) =>
    room.mode === "mesh"
      ? "this is a mesh room: send answers to other participants with signal"
      : `${MODE_NAMES[room.mode]} room never sends offers: there is nothing to answer`,
  relay: (room) => `signal messages are for mesh rooms; this is ${MODE_NAMES[room.mode]} room`,
  layout: (room) => `room "${room.name}" has no composite to lay out: layouts apply to mcu rooms`,
  recording: (room) => `room "${room.name}" has no composite to record: recording applies to mcu rooms`,
  mix: (room) => `room "${room.name}" mixes nothing: mixing applies to mcu rooms`,
  display: (room) => `room "${room.name}" sends no mix to size: display applies to mcu rooms`,
  links: (room) => `room "${room.name}" has no server connection to measure: links apply to mcu and sfu rooms`,
  screenShare: (room) => `${MODE_NAMES[room.mode]} room takes no screen share: screen sharing applies to mcu and sfu rooms`,
};

/** The room's capability, or WrongModeError naming what the room is and what would have it. */
export function capability<K extends keyof RoomCapabilities>(room: Named, kind: K): NonNullable<RoomCapabilities[K]> {
  const found = room.capabilities[kind];
  if (!found) throw new WrongModeError(missing[kind](room));
  return found as NonNullable<RoomCapabilities[K]>;
}
