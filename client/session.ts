// One visit to a room: camera → socket → join → media in the room's mode, and every way it can end.
// mcu: one peer connection to the server, one mixed stream back. sfu: one peer connection to the
// server, renegotiated by server offers (sfu.ts), one stream per participant. mesh: one peer
// connection per other participant (mesh.ts). Remote participants' videos: ui.remotes (remotes.ts).
// A lost connection (the socket drops, the server stops, the media connection fails) is not the end:
// the page shows "Reconnecting…" and tries again with back-off (reconnect.ts), presenting the resume key
// of its last `joined` so the server takes it back as the same participant while it still holds the place.

import type { TesseraView } from "./automation.js";
import { MediaAccessError, openLocalMedia, stopStream } from "./media.js";
import type { PreparedMedia } from "./prejoin.js";
import { DEFAULT_RETRY, RetryPolicy, worthRetrying } from "./reconnect.js";
import type { JoinOptions } from "./params.js";
import { Mesh } from "./mesh.js";
import { Peer } from "./peer.js";
import type { ByeReason } from "../protocol/byeReasons.js";
import type { ErrorCode } from "../protocol/errorCodes.js";
import { displayMessage, sameDisplay } from "./display.js";
import type { ClientMessageInput, DisplayMessage, ParticipantInfo, RecordingState, RoomMode, ServerMessage } from "../protocol/messages.js";
import { describeBye, describeServerError, errorOutcome } from "./serverErrors.js";
import { SfuNegotiator, streamOwner } from "./sfu.js";
import { followRedirect, mayReloadFor, rejoinAddress, watchBlockedSocket } from "./redirect.js";
import { Signaling, signalingUrl, type SignalingClose, type SignalingHandlers } from "./signaling.js";
import { TileApplier } from "./tile.js";
import { ScreenShare } from "./screenShare.js";
import { RecordingLink } from "./recordingLink.js";
import type { ClientState, Ui } from "./ui.js";

/** Without media flowing this long after the socket was opened, give up. */
const CONNECT_TIMEOUT_MS = 30_000;

export class Session {
  private signaling: Signaling | null = null;
  private signalingHandlers: SignalingHandlers | null = null;
  /** Cluster: how many times the room's node sent this page on (client/redirect.ts). */
  private redirects = 0;
  /** Stops watching for the browser blocking the socket of the last redirect (its node not in the page's CSP). */
  private unwatchBlocked: (() => void) | null = null;
  private mode: RoomMode | null = null;
  /** The connection to the server (mcu, sfu). */
  private peer: Peer | null = null;
  private sfu: SfuNegotiator | null = null;
  /** The connections to the other participants (mesh). */
  private mesh: Mesh | null = null;
  /** mcu: the mixed audio and video, however the server groups its tracks into streams (a new one per connection). */
  private mixed = new MediaStream();
  private local: MediaStream | null = null;
  private tiles: TileApplier | null = null;
  /** MCU: this page's screen share, while it runs. */
  private screen: ScreenShare | null = null;
  /** The server has named this page the sharer (its `screen` message): a later one naming another ends ours. */
  private screenLive = false;
  /** From `joined`: what a screen's own peer connection is given. */
  private iceServers: RTCIceServer[] = [];
  /** This connection has had its `joined`. */
  private joined = false;
  private ended = false;
  /** Some connection of this visit has joined / had its media up. */
  private everJoined = false;
  private everConnected = false;
  /** From the last `joined`: how the server knows us again after a lost connection. */
  private resumeKey: string | undefined;
  private readonly retries = new RetryPolicy({ ...DEFAULT_RETRY, random: Math.random, now: () => performance.now() });
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private micMuted = false;
  private cameraOff = false;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly recordingLink: RecordingLink;
  /** MCU: the last `display` sent on this connection, and what stops watching the stage's size. */
  private sentDisplay: DisplayMessage | undefined;
  private displayWatch: (() => void) | null = null;
  private displayTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: JoinOptions,
    private readonly ui: Ui,
    private readonly view: TesseraView,
    private readonly onEnd: () => void,
    /** The pre-join screen's stream and toggles; without a stream the session opens the devices itself. */
    private readonly prepared: PreparedMedia = { micMuted: false, cameraOff: false },
  ) {
    this.recordingLink = new RecordingLink(options.token, view);
  }

  async start(): Promise<void> {
    const { room, role } = this.options;
    Object.assign(this.view, {
      role,
      mode: null,
      id: null,
      participants: [],
      lastTile: null,
      error: null,
      errorCode: null,
      audioOnly: false,
      recording: null,
      reconnecting: false,
      reconnects: 0,
    });
    this.ui.showCall(room, role);
    if (role === "sender") {
      this.setState("connecting", "Starting camera and microphone…");
      try {
        this.local = this.prepared.stream ?? (await openLocalMedia(this.ui.t)).stream;
      } catch (error) {
        this.fail(error instanceof MediaAccessError ? error.message : `Could not open the camera and microphone: ${String(error)}`);
        return;
      }
      if (this.ended) {
        stopStream(this.local);
        return;
      }
      this.applyPrepared(this.local);
      this.ui.showSelf(this.local);
    }
    this.setState("connecting", "Connecting to the server…");
    this.connect();
  }

  /** One connection: the socket, `join` (with the resume key after a loss), then media as the room's mode says. */
  private connect(): void {
    const { room, role } = this.options;
    // After a server restart the room is created again: in the mode it had.
    const mode = this.mode ?? this.options.mode;
    // Every connection starts at the node that served the page: after a node is lost, it places the room again.
    this.redirects = 0;
    this.signalingHandlers = {
      onOpen: () =>
        this.send({
          type: "join",
          room,
          name: this.options.name,
          role,
          ...(mode ? { mode } : {}),
          ...(this.resumeKey !== undefined ? { resume: this.resumeKey } : {}),
          ...(this.options.token ? { token: this.options.token } : {}),
        }),
      onMessage: (message) => this.onMessage(message),
      onInvalidMessage: (problem) => this.showError(`The server sent a message this page could not read, and it was ignored (${problem}).`),
      onClose: (info) => this.onSocketClose(info),
    };
    this.signaling = new Signaling(signalingUrl(window.location), this.signalingHandlers);
    this.connectTimer = setTimeout(() => {
      const what = this.joined
        ? `No media connection to the server after ${CONNECT_TIMEOUT_MS / 1000} s.`
        : `The server did not answer the join request within ${CONNECT_TIMEOUT_MS / 1000} s.`;
      if (this.everJoined) this.retry(what);
      else this.fail(what);
    }, CONNECT_TIMEOUT_MS);
  }

  /** The pre-join's toggles; no camera in the stream (none, or denied) joins with sound only, shown as camera off. */
  private applyPrepared(local: MediaStream): void {
    this.micMuted = this.prepared.micMuted || local.getAudioTracks().length === 0;
    const noCamera = local.getVideoTracks().length === 0;
    this.cameraOff = this.prepared.cameraOff || noCamera;
    for (const track of local.getAudioTracks()) track.enabled = !this.micMuted;
    for (const track of local.getVideoTracks()) track.enabled = !this.cameraOff;
    this.view.audioOnly = noCamera;
    this.ui.setMicMuted(this.micMuted);
    this.ui.setCameraOff(noCamera ? "none" : this.cameraOff);
  }

  /**
   * The connection is lost but the visit goes on: everything of this connection is released (the camera
   * stays), "Reconnecting…" is shown and the next try is scheduled; after DEFAULT_RETRY.giveUpAfterMs of
   * failed tries the session ends.
   */
  private retry(why: string): void {
    if (this.ended) return;
    this.dropConnection();
    const delay = this.retries.next();
    if (delay === null) {
      this.fail(`Could not get back to the server after ${Math.round(DEFAULT_RETRY.giveUpAfterMs / 60_000)} minutes of trying (${why})`);
      return;
    }
    console.info(`tessera: connection lost (${why}); trying again in ${Math.round(delay)} ms (try ${this.retries.attempts})`);
    this.view.reconnecting = true;
    this.setState("connecting", "Reconnecting…");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.ended) this.connect();
    }, delay);
  }

  /** Media is up again after a loss. */
  private reconnected(): void {
    this.retries.reset();
    if (!this.view.reconnecting) return;
    this.view.reconnecting = false;
    this.view.reconnects++;
  }

  /** Releases this connection's socket and peers (no `leave`: the server should hold our place). */
  private dropConnection(): void {
    this.clearTimer();
    this.joined = false;
    // Not a clean close: the server must hold our place for the next socket, not see us leave.
    this.signaling?.close(false);
    this.signaling = null;
    this.sfu?.close();
    this.sfu = null;
    this.peer?.close();
    this.peer = null;
    this.tiles = null;
    // The server ended the share with the connection (the sharer dropped): share again once back.
    this.stopScreen(false);
    this.view.screenSharer = null;
    this.mesh?.close();
    this.mesh = null;
    for (const track of this.mixed.getTracks()) this.mixed.removeTrack(track);
    this.mixed = new MediaStream();
    this.ui.remotes.clear();
  }

  toggleMic(): void {
    if (!this.local || this.ended) return;
    this.micMuted = !this.micMuted;
    for (const track of this.local.getAudioTracks()) track.enabled = !this.micMuted;
    this.ui.setMicMuted(this.micMuted);
    if (this.joined) this.send({ type: "mute", audio: this.micMuted });
  }

  toggleCamera(): void {
    if (!this.local || this.ended || this.local.getVideoTracks().length === 0) return;
    this.cameraOff = !this.cameraOff;
    for (const track of this.local.getVideoTracks()) track.enabled = !this.cameraOff;
    this.ui.setCameraOff(this.cameraOff);
    if (this.joined) this.send({ type: "mute", video: this.cameraOff });
  }

  /** The share button: asks for a screen and shares it, or stops sharing. */
  toggleScreen(): void {
    if (!this.joined || this.ended || (this.mode !== "mcu" && this.mode !== "sfu") || this.options.role !== "sender") return;
    if (this.screen) return this.stopScreen(true);
    if (typeof navigator.mediaDevices?.getDisplayMedia !== "function") return this.showError(this.ui.t("call.shareUnsupported"));
    const share = new ScreenShare(
      this.iceServers,
      {
        send: (message) => this.send(message),
        onSharing: (sharing) => {
          if (!sharing && this.screen === share) {
            this.screen = null;
            this.screenLive = false;
          }
          this.view.sharing = this.screen !== null;
          this.drawScreenShare();
        },
        onError: (detail) => this.showError(this.ui.t("call.shareFailed", { detail })),
        onTile: (tile) => (this.view.lastScreenTile = tile),
      },
      this.options.relay ? "relay" : "all",
      true,
    );
    this.screen = share;
    share.start().catch((error: unknown) => {
      this.showError(this.ui.t("call.shareFailed", { detail: errorText(error) }));
      share.stop(true);
    });
  }

  private stopScreen(tellServer: boolean): void {
    const share = this.screen;
    this.screen = null;
    this.screenLive = false;
    share?.stop(tellServer);
    this.view.sharing = false;
    this.drawScreenShare();
  }

  private drawScreenShare(): void {
    const sharer = this.view.screenSharer;
    const name = sharer === null ? null : (this.view.participants.find((p) => p.id === sharer)?.name ?? sharer);
    this.ui.setScreenShare(this.screen !== null, name);
  }

  /** The server's `screen`: who shares now. Another's share (a takeover) or none ends ours, if it ran. */
  private onScreenSharer(id: string | null): void {
    this.view.screenSharer = id;
    if (this.screen && id === this.view.id) this.screenLive = true;
    // Ours ended on the server (another took over, or it was stopped there). A `null` before ours went live is
    // the end of the share ours is taking over from.
    else if (this.screen && this.screenLive) this.stopScreen(false);
    this.drawScreenShare();
  }

  /** The record button: starts the room's recording, or stops it; the server's broadcast updates everyone's REC. */
  toggleRecording(): void {
    if (!this.joined || this.ended) return;
    this.send({ type: "record", action: this.view.recording ? "stop" : "start" });
  }

  private setRecording(recording: RecordingState): void {
    this.recordingLink.update(recording);
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
        this.onJoined(message.id, message.mode, message.iceServers, message.participants, message.resume);
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
        if (this.mode !== "mcu") break;
        if (message.source === "screen") this.screen?.applyTile(message);
        else this.tiles?.apply(message);
        break;
      case "screenAnswer":
        this.screen?.acceptAnswer(message.sdp).catch((error: unknown) => {
          this.showError(this.ui.t("call.shareFailed", { detail: errorText(error) }));
          this.stopScreen(true);
        });
        break;
      case "screen":
        this.onScreenSharer(message.id);
        break;
      case "participants":
        this.setParticipants(message.participants);
        break;
      case "recording":
        this.setRecording(message.recording);
        break;
      case "mix":
        this.view.mix = { width: message.width, height: message.height, paused: message.paused };
        this.ui.showMixState(message);
        break;
      case "speaker":
        this.view.speaker = message.id;
        this.ui.markSpeaker(message.id);
        break;
      case "error": {
        const text = describeServerError(message.code, message.message, this.options.room, this.ui.t);
        this.view.errorCode = message.code;
        if (message.code === "screen-failed") {
          this.stopScreen(false);
          this.showError(this.ui.t("call.shareFailed", { detail: message.message }));
          break;
        }
        if (message.code === "screen-busy") {
          // Our share was refused: the picker's stream goes, the button is back to "Share screen".
          this.stopScreen(false);
          const sharer = this.view.screenSharer;
          const name = this.view.participants.find((p) => p.id === sharer)?.name;
          this.showError(name !== undefined ? this.ui.t("error.screenBusy", { name }) : text);
          break;
        }
        const outcome = errorOutcome(message.code, this.mode);
        if (outcome === "end" && this.retriable(message.code)) this.retry(text);
        else if (outcome === "end") this.fail(text);
        else {
          console.warn("tessera: server error", message.code, message.message);
          if (outcome === "show") this.showError(text);
        }
        break;
      }
      case "bye":
        if (this.retriable(message.reason)) this.retry(describeBye(message.reason));
        else this.fail(describeBye(message.reason));
        break;
      case "redirect": {
        this.unwatchBlocked?.();
        // Watching before the socket exists: the browser may report the block as soon as it is made.
        this.unwatchBlocked = watchBlockedSocket(document, message.url, () => this.reloadForBlocked(message.url));
        const next = followRedirect(this.signaling, message, ++this.redirects, this.joined, this.signalingHandlers!);
        if (typeof next === "string") this.fail(next);
        else this.signaling = next;
        break;
      }
    }
  }

  /**
   * The room's node started after this page was served, so the page's policy does not let its socket go
   * there: the page loads itself again (joining straight away, with the same name and devices), once.
   */
  private reloadForBlocked(url: string): void {
    this.unwatchBlocked?.();
    this.unwatchBlocked = null;
    if (this.ended || this.joined) return;
    if (!mayReloadFor(url, window.sessionStorage, Date.now())) {
      this.fail(
        `This page may not connect to ${url}, the server that holds room "${this.options.room}" (the page's Content-Security-Policy does not name it). Reload the page to try again.`,
      );
      return;
    }
    console.warn("tessera: the room's server is not in this page's Content-Security-Policy; loading the page again", url);
    const address = rejoinAddress(window.location.href, this.options, { micMuted: this.micMuted, cameraOff: this.cameraOff });
    this.end();
    window.location.replace(address);
  }

  /**
   * Whether an ending is worth another try: a stopping server or failed room once this visit has been in
   * the room, a lost media connection once it had been up (one that never came up would fail again).
   */
  private retriable(code: ErrorCode | ByeReason): boolean {
    if (!worthRetrying(code)) return false;
    return code === "ice-failed" || code === "offer-timeout" ? this.everConnected : this.everJoined;
  }

  private onJoined(
    id: string,
    mode: RoomMode,
    iceServers: RTCIceServer[],
    participants: ParticipantInfo[],
    resume: string | undefined,
  ): void {
    if (this.joined) return;
    this.joined = true;
    this.unwatchBlocked?.();
    this.unwatchBlocked = null;
    this.everJoined = true;
    // Absent (a mesh room, RECONNECT_GRACE_MS=0): the next connection joins afresh.
    this.resumeKey = resume;
    this.iceServers = iceServers;
    this.mode = mode;
    this.view.id = id;
    this.view.mode = mode;
    this.ui.showMode(mode);
    this.setParticipants(participants);
    if (mode === "mcu") this.watchDisplay();

    // Mute choices made before the server knew us.
    if (this.micMuted) this.send({ type: "mute", audio: true });
    if (this.cameraOff) this.send({ type: "mute", video: true });

    if (mode === "mesh") this.startMesh(id, iceServers, participants);
    else this.startServerPeer(mode, iceServers);
  }

  /** mcu and sfu: one peer connection to the server, and our offer. */
  private startServerPeer(mode: "mcu" | "sfu", iceServers: RTCIceServer[]): void {
    this.setState("connecting", "Joined; connecting media…");
    const peer = new Peer(
      iceServers,
      {
        onCandidate: (candidate) => this.send({ type: "candidate", candidate }),
        onTrack: (event) => (mode === "sfu" ? this.onForwardedTrack(event) : this.onMixedTrack(event.track)),
        onConnectionState: (state) => this.onConnectionState(state),
      },
      this.options.relay ? "relay" : "all",
    );
    this.peer = peer;
    if (this.local) peer.addLocalStream(this.local, mode);
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

  /**
   * MCU: tells the server the box the mix is shown in now, and again whenever it changes (resize, rotation,
   * a new pixel ratio), at most every 250 ms.
   */
  private watchDisplay(): void {
    this.sentDisplay = undefined;
    const report = () => {
      this.displayTimer = null;
      if (this.ended || !this.joined || this.mode !== "mcu") return;
      const message = displayMessage(this.ui.mixBox(), window.devicePixelRatio, { width: window.innerWidth, height: window.innerHeight });
      if (sameDisplay(this.sentDisplay, message)) return;
      this.sentDisplay = message;
      this.view.display = message;
      this.send(message);
    };
    report();
    if (this.displayWatch) return;
    const soon = () => {
      this.displayTimer ??= setTimeout(report, 250);
    };
    const observer = new ResizeObserver(soon);
    observer.observe(this.ui.stage);
    window.addEventListener("resize", soon);
    window.addEventListener("orientationchange", soon);
    this.displayWatch = () => {
      observer.disconnect();
      window.removeEventListener("resize", soon);
      window.removeEventListener("orientationchange", soon);
      if (this.displayTimer) clearTimeout(this.displayTimer);
      this.displayTimer = null;
    };
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
        this.reconnected();
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
        this.reconnected();
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
        if (this.everConnected) this.retry("the media connection failed");
        else this.fail(describeServerError("ice-failed", "", this.options.room, this.ui.t));
        break;
      case "closed":
        break;
    }
  }

  private onSocketClose(info: SignalingClose): void {
    if (this.ended) return;
    const url = this.signaling?.url ?? "/ws";
    const detail = `code ${info.code}${info.reason ? `, ${info.reason}` : ""}`;
    // Once in the room, any loss is retried (the server restarting, a network change); a first join is not.
    if (this.everJoined) this.retry(info.opened ? `lost the connection to the server (${detail})` : `cannot reach the server at ${url}`);
    else if (!info.opened) this.fail(`Cannot reach the Tessera server at ${url}. Check that it is running and reachable.`);
    else this.fail(`Cannot reach the Tessera server: it closed the connection before the room was joined (${detail}).`);
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
    this.unwatchBlocked?.();
    this.clearTimer();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.view.reconnecting = false;
    this.displayWatch?.();
    this.displayWatch = null;
    if (this.joined) this.send({ type: "leave" });
    this.signaling?.close();
    this.sfu?.close();
    this.peer?.close();
    this.stopScreen(false);
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
