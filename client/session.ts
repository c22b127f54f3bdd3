// One visit to a room: camera → socket → join → media in the room's mode, and every way it can end. The
// session owns the connection (socket, timers, retries) and routes each server message to the owner of what
// it is about: the mode's media object (roomMedia.ts: mcu.ts, sfu.ts, mesh.ts), the roster (roster.ts), the
// screen share (screenControl.ts), the devices (localDevices.ts). It writes the automation view
// (automation.ts) for tests and never reads it back.
// A lost connection (the socket drops, the server stops, the media connection fails) is not the end: the
// page shows "Reconnecting…" and tries again with back-off (reconnect.ts), presenting the resume key of its
// last `joined` so the server takes it back as the same participant while it still holds the place.

import type { TesseraView } from "./automation.js";
import type { MessageKey } from "./i18n/en.js";
import { errorDetail, text, type Text } from "./i18n/text.js";
import { LocalDevices, type DeviceSurface } from "./localDevices.js";
import { MediaAccessError } from "./media.js";
import type { JoinOptions } from "./params.js";
import type { PreparedMedia } from "./prejoin.js";
import { DEFAULT_RETRY, Reconnection } from "./reconnect.js";
import { RecordingLink } from "./recordingLink.js";
import { RedirectFollower } from "./redirect.js";
import type { CreateMedia, MediaEvents, MediaStatus, RoomMedia } from "./roomMedia.js";
import { Roster, type RosterSurface } from "./roster.js";
import { ScreenControl, type ScreenHost } from "./screenControl.js";
import { describeBye, describeServerError, errorOutcome } from "./serverErrors.js";
import type { OpenSignaling, SignalingClose, SignalingHandlers, SignalingPort } from "./signaling.js";
import type { ClientState, Ui } from "./ui.js";
import type { ByeReason } from "../protocol/byeReasons.js";
import type { ErrorCode } from "../protocol/errorCodes.js";
import type { ClientMessageInput, RecordingState, RoomMode, ServerMessage, ServerMessageOf } from "../protocol/messages.js";

/** Without media flowing this long after the socket was opened, give up. */
const CONNECT_TIMEOUT_MS = 30_000;

/** What the session shows on the page (Ui; a recording fake in client/session.test.ts). */
export type SessionUi = Pick<
  Ui,
  "showCall" | "setStatus" | "showError" | "clearError" | "showMode" | "setRecording" | "showRecordingLink" | "showForm"
> &
  DeviceSurface &
  RosterSurface &
  Pick<ScreenHost, "setScreenShare">;

/** The page around a session: the browser's in client/sessionDeps.ts, fakes in client/session.test.ts. */
export interface SessionDeps {
  openSignaling: OpenSignaling;
  createMedia: CreateMedia;
  /** The camera and microphone, for a sender the pre-join did not prepare; throws MediaAccessError. */
  openLocalMedia(): Promise<MediaStream>;
  /** The first socket's address: this page's server. */
  readonly signalingUrl: string;
  /** Calls `blocked` when the browser blocks the socket to `url` (the page's CSP); returns what stops watching. */
  watchBlocked(url: string, blocked: () => void): () => void;
  /** Whether the page may load itself again for a blocked `url` (not again within a minute: a loop). */
  mayReloadFor(url: string): boolean;
  /** Loads the page again, joining at once as this visit did. */
  reload(options: JoinOptions, devices: { micMuted: boolean; cameraOff: boolean }): void;
}

export class Session {
  private signaling: SignalingPort | null = null;
  private readonly handlers: SignalingHandlers = {
    onOpen: () => this.sendJoin(),
    onMessage: (message) => this.onMessage(message),
    onInvalidMessage: (problem) => this.showError(text("error.badMessage", { problem })),
    onClose: (info) => this.onSocketClose(info),
  };
  /** Cluster: the redirects this connection followed to the room's node (client/redirect.ts). */
  private readonly redirects: RedirectFollower;
  /** The room's mode, from the last `joined` (a server restart creates the room again in it). */
  private mode: RoomMode | null = null;
  /** This connection's media, in the room's mode. */
  private media: RoomMedia | null = null;
  private readonly devices: LocalDevices;
  private readonly roster: Roster;
  private readonly screen: ScreenControl;
  private readonly recordingLink: RecordingLink;
  /** From `joined`: what the media's and a screen's peer connections are given. */
  private iceServers: RTCIceServer[] = [];
  /** This connection has had its `joined`. */
  private joined = false;
  private ended = false;
  /** From the last `joined`: how the server knows us again after a lost connection. */
  private resumeKey: string | undefined;
  private readonly reconnection: Reconnection;
  /** Counts connections' media: events from an earlier one's (a promise settling late) are dropped. */
  private connections = 0;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** The code of the server's last `error` (main.ts offers the viewer seat after room-full). */
  private lastErrorCode: ErrorCode | null = null;

  constructor(
    private readonly options: JoinOptions,
    private readonly ui: SessionUi,
    private readonly view: TesseraView,
    private readonly deps: SessionDeps,
    /** After the session ended, with the code of the server's last error, if any. */
    private readonly onEnd: (lastErrorCode: ErrorCode | null) => void,
    /** The pre-join screen's stream and toggles; without a stream the session opens the devices itself. */
    private readonly prepared: PreparedMedia = { micMuted: false, cameraOff: false },
  ) {
    this.devices = new LocalDevices(ui, view);
    this.reconnection = new Reconnection(view);
    this.roster = new Roster(ui, view);
    this.redirects = new RedirectFollower(deps.openSignaling, deps.watchBlocked, (url) => this.reloadForBlocked(url));
    this.screen = new ScreenControl(
      {
        send: (message) => this.send(message),
        showError: (shown) => this.showError(shown),
        nameOf: (id) => this.roster.nameOf(id),
        selfId: () => this.roster.selfId,
        setScreenShare: (sharing, name) => ui.setScreenShare(sharing, name),
      },
      view,
    );
    this.recordingLink = new RecordingLink(options.token, view, (url) => ui.showRecordingLink(url));
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
      this.setState("connecting", "status.camera");
      let stream: MediaStream;
      try {
        stream = this.prepared.stream ?? (await this.deps.openLocalMedia());
      } catch (error) {
        this.fail(error instanceof MediaAccessError ? error.shown : text("media.other", { detail: errorDetail(error) }));
        return;
      }
      if (this.ended) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      this.devices.adopt(stream, this.prepared);
    }
    this.setState("connecting", "status.server");
    this.connect();
  }

  toggleMic(): void {
    if (this.ended) return;
    const mute = this.devices.toggleMic();
    if (mute && this.joined) this.send(mute);
  }

  toggleCamera(): void {
    if (this.ended) return;
    const mute = this.devices.toggleCamera();
    if (mute && this.joined) this.send(mute);
  }

  /** The share button (mcu and sfu rooms, senders). */
  toggleScreen(): void {
    if (!this.joined || this.ended || this.mode === "mesh" || this.options.role !== "sender") return;
    this.screen.toggle(this.iceServers, this.options.relay ? "relay" : "all");
  }

  /** The record button: starts the room's recording, or stops it; the server's broadcast updates everyone's REC. */
  toggleRecording(): void {
    if (!this.joined || this.ended) return;
    this.send({ type: "record", action: this.recordingLink.state ? "stop" : "start" });
  }

  /** The user left: tell the server, close everything, show the form again. */
  leave(): void {
    if (this.ended) return;
    this.end();
    this.ui.clearError();
    this.view.error = null;
    this.setState("left", "status.left");
  }

  /** One connection: the socket, then `join` once it opens; a time limit for the room's media to come up. */
  private connect(): void {
    this.redirects.restart();
    this.signaling = this.deps.openSignaling(this.deps.signalingUrl, this.handlers);
    this.connectTimer = setTimeout(() => {
      const seconds = CONNECT_TIMEOUT_MS / 1000;
      const what = text(this.joined ? "error.noMedia" : "error.noJoinAnswer", { seconds });
      if (this.reconnection.everJoined) this.retry(what);
      else this.fail(what);
    }, CONNECT_TIMEOUT_MS);
  }

  /** `join`, with the resume key after a loss and, after a server restart, the mode the room had. */
  private sendJoin(): void {
    const { room, role, name, token } = this.options;
    const mode = this.mode ?? this.options.mode;
    this.send({
      type: "join",
      room,
      name,
      role,
      ...(mode ? { mode } : {}),
      ...(this.resumeKey !== undefined ? { resume: this.resumeKey } : {}),
      ...(token ? { token } : {}),
    });
  }

  private send(message: ClientMessageInput): void {
    this.signaling?.send(message);
  }

  private onMessage(message: ServerMessage): void {
    if (this.ended) return;
    switch (message.type) {
      case "joined":
        this.onJoined(message);
        break;
      case "tile":
        // Only the mixer draws tiles (an SFU forwards what it gets); a screen's is the share's.
        if (message.source === "screen") {
          if (this.media?.mode === "mcu") this.screen.applyTile(message);
          break;
        }
        this.toMedia(message);
        break;
      case "answer":
      case "offer":
      case "signal":
      case "mix":
        this.toMedia(message);
        break;
      case "screenAnswer":
        this.screen.acceptAnswer(message.sdp);
        break;
      case "screen":
        this.screen.onSharer(message.id);
        break;
      case "participants":
        this.setParticipants(message.participants);
        break;
      case "speaker":
        this.roster.speaking(message.id);
        break;
      case "recording":
        this.setRecording(message.recording);
        break;
      case "error":
        this.onServerError(message.code, message.message);
        break;
      case "bye":
        this.connectionEnded(describeBye(message.reason), message.reason);
        break;
      case "redirect":
        this.onRedirect(message);
        break;
    }
  }

  private toMedia(message: Parameters<RoomMedia["handle"]>[0]): void {
    if (!this.media?.handle(message))
      console.warn(`tessera: ignoring a ${message.type} message in a ${this.mode ?? "not yet joined"} room`);
  }

  private onJoined(message: ServerMessageOf<"joined">): void {
    if (this.joined) return;
    const { id, mode, iceServers, participants } = message;
    this.joined = true;
    this.redirects.stopWatching();
    this.reconnection.joined();
    // Absent (a mesh room, RECONNECT_GRACE_MS=0): the next connection joins afresh.
    this.resumeKey = message.resume;
    this.iceServers = iceServers;
    this.mode = mode;
    this.roster.joined(id);
    this.view.mode = mode;
    this.ui.showMode(mode);
    this.media = this.deps.createMedia(mode, {
      selfId: id,
      role: this.options.role,
      iceServers,
      iceTransportPolicy: this.options.relay ? "relay" : "all",
      local: this.devices.stream,
      wasConnected: this.reconnection.everConnected,
      events: this.mediaEvents(),
    });
    this.setParticipants(participants);
    for (const mute of this.devices.joinMessages()) this.send(mute);
    if (!this.media.timed) this.clearConnectTimer();
    this.media.start(participants);
    this.setRecording(message.recording);
  }

  /** The events of this connection's media; a media object of an earlier connection speaks for nothing now. */
  private mediaEvents(): MediaEvents {
    const connection = ++this.connections;
    const live = () => connection === this.connections && !this.ended;
    return {
      send: (message) => live() && this.send(message),
      onStatus: (status) => live() && this.onMediaStatus(status),
      onError: (shown) => live() && this.showError(shown),
      onFatal: (shown) => live() && this.fail(shown),
    };
  }

  private onMediaStatus(status: MediaStatus): void {
    switch (status.state) {
      case "connected":
        this.clearConnectTimer();
        this.reconnection.connected();
        this.setState("connected", "status.connected");
        break;
      case "connecting":
        this.setState("connecting", status.status);
        break;
      case "failed":
        if (this.reconnection.everConnected) this.retry(text("reason.mediaFailed"));
        else this.fail(describeServerError("ice-failed", "", this.options.room));
        break;
    }
  }

  private setParticipants(list: ServerMessageOf<"participants">["participants"]): void {
    this.roster.set(list);
    this.media?.setRoster(list);
  }

  private setRecording(recording: RecordingState): void {
    this.recordingLink.update(recording);
    this.view.recording = recording;
    this.ui.setRecording(recording);
  }

  private onServerError(code: ErrorCode, message: string): void {
    const shown = describeServerError(code, message, this.options.room);
    this.lastErrorCode = code;
    this.view.errorCode = code;
    const screen = this.screen.refused(code, message, shown);
    if (screen) return this.showError(screen);
    const outcome = errorOutcome(code, this.mode);
    if (outcome === "end") return this.connectionEnded(shown, code);
    console.warn("tessera: server error", code, message);
    if (outcome === "show") this.showError(shown);
  }

  /** The server ended this connection (a fatal error, a bye): tried again if worth it, else the visit is over. */
  private connectionEnded(shown: Text, why: ErrorCode | ByeReason): void {
    if (this.reconnection.worth(why)) this.retry(shown);
    else this.fail(shown);
  }

  private onRedirect(message: ServerMessageOf<"redirect">): void {
    const next = this.redirects.follow(this.signaling, message, this.joined, this.handlers);
    if ("refused" in next) this.fail(next.refused);
    else this.signaling = next.socket;
  }

  /**
   * The room's node started after this page was served, so the page's policy does not let its socket go
   * there: the page loads itself again (joining straight away, with the same name and devices), once.
   */
  private reloadForBlocked(url: string): void {
    if (this.ended || this.joined) return;
    if (!this.deps.mayReloadFor(url)) return this.fail(text("error.blockedNode", { url, room: this.options.room }));
    console.warn("tessera: the room's server is not in this page's Content-Security-Policy; loading the page again", url);
    const devices = this.devices.muted;
    this.end();
    this.deps.reload(this.options, devices);
  }

  private onSocketClose(info: SignalingClose): void {
    if (this.ended) return;
    const url = this.signaling?.url ?? "/ws";
    const detail = `code ${info.code}${info.reason ? `, ${info.reason}` : ""}`;
    // Once in the room, any loss is retried (the server restarting, a network change); a first join is not.
    if (this.reconnection.everJoined) this.retry(info.opened ? text("reason.socketLost", { detail }) : text("reason.unreachable", { url }));
    else if (!info.opened) this.fail(text("error.unreachable", { url }));
    else this.fail(text("error.closedBeforeJoin", { detail }));
  }

  /**
   * The connection is lost but the visit goes on: everything of this connection is released (the camera
   * stays), "Reconnecting…" is shown and the next try is scheduled; after DEFAULT_RETRY.giveUpAfterMs of
   * failed tries the session ends.
   */
  private retry(why: Text): void {
    if (this.ended) return;
    this.dropConnection();
    const again = this.reconnection.schedule(why.key, () => {
      if (!this.ended) this.connect();
    });
    if (again) this.setState("connecting", "status.reconnecting");
    else this.fail(text("error.gaveUp", { minutes: Math.round(DEFAULT_RETRY.giveUpAfterMs / 60_000), why }));
  }

  /** Releases this connection's socket and media (no `leave`: the server should hold our place). */
  private dropConnection(): void {
    this.clearConnectTimer();
    this.joined = false;
    // Not a clean close: the server must hold our place for the next socket, not see us leave.
    this.signaling?.close(false);
    this.signaling = null;
    this.media?.close();
    this.media = null;
    this.connections++;
    this.screen.reset();
  }

  private setState(state: Exclude<ClientState, "idle">, status: MessageKey): void {
    this.view.state = state;
    this.ui.setStatus(state, status);
  }

  private showError(shown: Text): void {
    this.view.error = this.ui.showError(shown);
  }

  private fail(shown: Text): void {
    if (this.ended) return;
    this.end();
    this.showError(shown);
    this.setState("failed", "status.failed");
  }

  /** Releases everything once; sends `leave` if the server can still hear us. */
  private end(): void {
    this.ended = true;
    this.redirects.stopWatching();
    this.clearConnectTimer();
    this.reconnection.stop();
    if (this.joined) this.send({ type: "leave" });
    this.signaling?.close();
    this.media?.close();
    this.screen.stop(false);
    this.devices.stop();
    this.roster.clear();
    this.ui.showForm();
    this.onEnd(this.lastErrorCode);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
