// One visit to a room: camera → socket → join → media in the room's mode, and every way it can end.
// mcu: one peer connection to the server, one mixed stream back. sfu: one peer connection to the
// server, renegotiated by server offers (sfu.ts), one stream per participant. mesh: one peer
// connection per other participant (mesh.ts). Remote participants' videos: ui.remotes (remotes.ts).

import type { TesseraView } from "./automation.js";
import { MediaAccessError, openLocalMedia, stopStream } from "./media.js";
import type { JoinOptions } from "./params.js";
import { Mesh } from "./mesh.js";
import { Peer } from "./peer.js";
import type { ClientMessageInput, ParticipantInfo, RecordingState, RoomMode, ServerMessage } from "../protocol/messages.js";
import { describeBye, describeServerError, errorOutcome } from "./serverErrors.js";
import { SfuNegotiator, streamOwner } from "./sfu.js";
import { Signaling, signalingUrl, type SignalingClose } from "./signaling.js";
import { TileApplier } from "./tile.js";
import type { ClientState, Ui } from "./ui.js";

/** Without media flowing this long after the socket was opened, give up. */
const CONNECT_TIMEOUT_MS = 30_000;

export class Session {
  private signaling: Signaling | null = null;
  private mode: RoomMode | null = null;
  /** The connection to the server (mcu, sfu). */
  private peer: Peer | null = null;
  private sfu: SfuNegotiator | null = null;
  /** The connections to the other participants (mesh). */
  private mesh: Mesh | null = null;
  /** mcu: the mixed audio and video, however the server groups its tracks into streams. */
  private readonly mixed = new MediaStream();
  private local: MediaStream | null = null;
  private tiles: TileApplier | null = null;
  private joined = false;
  private ended = false;
  private everConnected = false;
  private micMuted = false;
  private cameraOff = false;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: JoinOptions,
    private readonly ui: Ui,
    private readonly view: TesseraView,
    private readonly onEnd: () => void,
  ) {}

  async start(): Promise<void> {
    const { room, role } = this.options;
    Object.assign(this.view, { role, mode: null, id: null, participants: [], lastTile: null, error: null, recording: null });
    this.ui.showCall(room, role);
    if (role === "sender") {
      this.setState("connecting", "Starting camera and microphone…");
      try {
        this.local = await openLocalMedia();
      } catch (error) {
        this.fail(error instanceof MediaAccessError ? error.message : `Could not open the camera and microphone: ${String(error)}`);
        return;
      }
      if (this.ended) {
        stopStream(this.local);
        return;
      }
      this.ui.showSelf(this.local);
    }
    this.setState("connecting", "Connecting to the server…");
    this.signaling = new Signaling(signalingUrl(window.location), {
      onOpen: () => this.send({ type: "join", room, name: this.options.name, role, ...(this.options.mode ? { mode: this.options.mode } : {}) }),
      onMessage: (message) => this.onMessage(message),
      onInvalidMessage: (problem) => this.showError(`The server sent a message this page could not read, and it was ignored (${problem}).`),
      onClose: (info) => this.onSocketClose(info),
    });
    this.connectTimer = setTimeout(() => {
      this.fail(
        this.joined
          ? `No media connection to the server after ${CONNECT_TIMEOUT_MS / 1000} s.`
          : `The server did not answer the join request within ${CONNECT_TIMEOUT_MS / 1000} s.`,
      );
    }, CONNECT_TIMEOUT_MS);
  }

  toggleMic(): void {
    if (!this.local || this.ended) return;
    this.micMuted = !this.micMuted;
    for (const track of this.local.getAudioTracks()) track.enabled = !this.micMuted;
    this.ui.setMicMuted(this.micMuted);
    if (this.joined) this.send({ type: "mute", audio: this.micMuted });
  }

  toggleCamera(): void {
    if (!this.local || this.ended) return;
    this.cameraOff = !this.cameraOff;
    for (const track of this.local.getVideoTracks()) track.enabled = !this.cameraOff;
    this.ui.setCameraOff(this.cameraOff);
    if (this.joined) this.send({ type: "mute", video: this.cameraOff });
  }

  /** The record button: starts the room's recording, or stops it; the server's broadcast updates everyone's REC. */
  toggleRecording(): void {
    if (!this.joined || this.ended) return;
    this.send({ type: "record", action: this.view.recording ? "stop" : "start" });
  }

  private setRecording(recording: RecordingState): void {
    this.view.recording = recording;
    this.ui.setRecording(recording);
  }

  /** The user left: tell the server, close everything, show the form again. */
  leave(): void {
    if (this.ended) return;
    this.end();
    this.ui.clearError();
    this.view.error = null;
    this.setState("left", "You left the room.");
  }

  private send(message: ClientMessageInput): void {
    this.signaling?.send(message);
  }

  private onMessage(message: ServerMessage): void {
    if (this.ended) return;
    switch (message.type) {
      case "joined":
        this.onJoined(message.id, message.mode, message.iceServers, message.participants);
        this.setRecording(message.recording);
        break;
      case "answer":
        this.peer
          ?.acceptAnswer(message.sdp)
          .then(() => this.tiles?.retry())
          .catch((error: unknown) => this.fail(`Could not use the server's answer: ${errorText(error)}`));
        break;
      case "offer":
        if (this.sfu) this.sfu.handleOffer(message.sdp);
        else console.warn(`tessera: ignoring a server offer in a ${this.mode ?? "not yet joined"} room`);
        break;
      case "signal":
        if (this.mesh) this.mesh.onSignal(message.from, message.data);
        else console.warn(`tessera: ignoring a signal in a ${this.mode ?? "not yet joined"} room`);
        break;
      case "tile":
        // Only the mixer draws tiles; an SFU forwards what it gets.
        if (this.mode === "mcu") this.tiles?.apply(message);
        break;
      case "participants":
        this.setParticipants(message.participants);
        break;
      case "recording":
        this.setRecording(message.recording);
        break;
      case "speaker":
        this.view.speaker = message.id;
        this.ui.markSpeaker(message.id);
        break;
      case "error": {
        const text = describeServerError(message.code, message.message, this.options.room);
        const outcome = errorOutcome(message.code, this.mode);
        if (outcome === "end") this.fail(text);
        else {
          console.warn("tessera: server error", message.code, message.message);
          if (outcome === "show") this.showError(text);
        }
        break;
      }
      case "bye":
        this.fail(describeBye(message.reason));
        break;
    }
  }

  private onJoined(id: string, mode: RoomMode, iceServers: RTCIceServer[], participants: ParticipantInfo[]): void {
    if (this.joined) return;
    this.joined = true;
    this.mode = mode;
    this.view.id = id;
    this.view.mode = mode;
    this.ui.showMode(mode);
    this.setParticipants(participants);

    // Mute choices made before the server knew us.
    if (this.micMuted) this.send({ type: "mute", audio: true });
    if (this.cameraOff) this.send({ type: "mute", video: true });

    if (mode === "mesh") this.startMesh(id, iceServers, participants);
    else this.startServerPeer(mode, iceServers);
  }

  /** mcu and sfu: one peer connection to the server, and our offer. */
  private startServerPeer(mode: "mcu" | "sfu", iceServers: RTCIceServer[]): void {
    this.setState("connecting", "Joined; connecting media…");
    const peer = new Peer(iceServers, {
      onCandidate: (candidate) => this.send({ type: "candidate", candidate }),
      onTrack: (event) => (mode === "sfu" ? this.onForwardedTrack(event) : this.onMixedTrack(event.track)),
      onConnectionState: (state) => this.onConnectionState(state),
    });
    this.peer = peer;
    if (this.local) peer.addLocalStream(this.local);
    else peer.addReceiveOnly();
    const camera = peer.cameraSender;
    if (mode === "mcu" && camera) this.tiles = new TileApplier(camera, (tile) => (this.view.lastTile = tile));
    if (mode === "sfu") {
      this.sfu = new SfuNegotiator(
        peer.pc,
        (sdp) => this.send({ type: "answer", sdp }),
        (error) => this.fail(`Could not accept the server's new offer: ${errorText(error)}`),
      );
    }
    peer
      .negotiate((sdp) => this.send({ type: "offer", sdp }))
      .catch((error: unknown) => this.fail(`Could not create the WebRTC offer: ${errorText(error)}`));
  }

  private onMixedTrack(track: MediaStreamTrack): void {
    if (!this.mixed.getTracks().includes(track)) this.mixed.addTrack(track);
    this.ui.playMixed(this.mixed);
  }

  /** sfu: the stream id names the participant who sends it. */
  private onForwardedTrack(event: RTCTrackEvent): void {
    const stream = event.streams[0];
    const owner = streamOwner(event.streams.map((s) => s.id));
    if (!stream || owner === null) {
      console.warn("tessera: a forwarded track without its participant's stream id; not shown", event.track.kind);
      return;
    }
    this.ui.remotes.attach(owner, stream);
  }

  /** mesh: no media through the server; call everyone already here. */
  private startMesh(id: string, iceServers: RTCIceServer[], participants: ParticipantInfo[]): void {
    // Signaling works; each connection to another participant has its own time limit (mesh.ts).
    this.clearTimer();
    const nameOf = (pid: string) => this.view.participants.find((p) => p.id === pid)?.name ?? pid;
    this.mesh = new Mesh(id, this.options.role, iceServers, this.local, {
      send: (to, data) => this.send({ type: "signal", to, data }),
      onStream: (pid, stream) => this.ui.remotes.attach(pid, stream),
      onPeerClosed: (pid) => this.ui.remotes.remove(pid),
      onPeerFailed: (pid, reason) => this.showError(`The media connection to ${nameOf(pid)} failed: ${reason}.`),
      onStateChange: () => this.onMeshStateChange(),
    });
    this.mesh.callAll(participants);
    this.onMeshStateChange();
  }

  private onMeshStateChange(): void {
    if (this.ended || !this.mesh) return;
    switch (this.mesh.state) {
      case "connected":
        this.everConnected = true;
        this.setState("connected", "Connected");
        break;
      case "reconnecting":
        this.setState("connecting", "Reconnecting…");
        break;
      case "connecting":
        this.setState("connecting", this.everConnected ? "Connecting to a new participant…" : "Connecting to the other participants…");
        break;
    }
  }

  private onConnectionState(state: RTCPeerConnectionState): void {
    if (this.ended) return;
    switch (state) {
      case "connected":
        this.everConnected = true;
        this.clearTimer();
        this.setState("connected", "Connected");
        this.tiles?.retry();
        break;
      case "disconnected":
        this.setState("connecting", "Reconnecting…");
        break;
      case "new":
      case "connecting":
        this.setState("connecting", this.everConnected ? "Reconnecting…" : "Connecting media…");
        break;
      case "failed":
        this.fail(describeServerError("ice-failed", "", this.options.room));
        break;
      case "closed":
        break;
    }
  }

  private onSocketClose(info: SignalingClose): void {
    if (this.ended) return;
    const url = this.signaling?.url ?? "/ws";
    const detail = `code ${info.code}${info.reason ? `, ${info.reason}` : ""}`;
    if (!info.opened) this.fail(`Cannot reach the Tessera server at ${url}. Check that it is running and reachable.`);
    else if (!this.joined) this.fail(`Cannot reach the Tessera server: it closed the connection before the room was joined (${detail}).`);
    else this.fail(`Lost the connection to the server (${detail}).`);
  }

  private setParticipants(list: ParticipantInfo[]): void {
    this.view.participants = list;
    this.ui.renderParticipants(list, this.view.id);
    if (this.mode !== "mcu") this.ui.remotes.setRoster(list);
    this.mesh?.setRoster(list);
  }

  private setState(state: ClientState, text: string): void {
    this.view.state = state;
    this.ui.setStatus(state, text);
  }

  private showError(message: string): void {
    this.view.error = message;
    this.ui.showError(message);
  }

  private fail(message: string): void {
    if (this.ended) return;
    this.end();
    this.showError(message);
    this.setState("failed", "Failed");
  }

  /** Releases everything once; sends `leave` if the server can still hear us. */
  private end(): void {
    this.ended = true;
    this.clearTimer();
    if (this.joined) this.send({ type: "leave" });
    this.signaling?.close();
    this.sfu?.close();
    this.peer?.close();
    this.mesh?.close();
    for (const track of this.mixed.getTracks()) this.mixed.removeTrack(track);
    stopStream(this.local);
    this.local = null;
    this.view.participants = [];
    this.ui.showForm();
    this.onEnd();
  }

  private clearTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
