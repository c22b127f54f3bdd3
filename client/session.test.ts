// Session against fakes: a fake signaling socket, fake media objects per room mode and a Ui that records what
// it was asked to show (keys, not sentences). The media path itself is tested in the browser (test/e2e).

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { emptyView, type TesseraView } from "./automation.js";
import type { MessageKey } from "./i18n/en.js";
import { render, type Text } from "./i18n/text.js";
import { Translator } from "./i18n/translator.js";
import type { JoinOptions } from "./params.js";
import type { MediaContext, MediaMessage, RoomMedia } from "./roomMedia.js";
import { Session, type SessionDeps, type SessionUi } from "./session.js";
import type { SignalingHandlers, SignalingPort } from "./signaling.js";
import type { ErrorCode } from "../protocol/errorCodes.js";
import type { ClientMessageInput, ParticipantInfo, RoomMode, ServerMessage } from "../protocol/messages.js";

const english = new Translator("en").t;

class FakeSignaling implements SignalingPort {
  readonly sent: ClientMessageInput[] = [];
  open = false;
  /** undefined while open; how the session closed it. */
  closedLeaving: boolean | undefined;

  constructor(
    readonly url: string,
    readonly handlers: SignalingHandlers,
  ) {}

  send(message: ClientMessageInput): boolean {
    if (!this.open) return false;
    this.sent.push(message);
    return true;
  }

  close(leaving = true): void {
    this.open = false;
    this.closedLeaving = leaving;
  }

  /** The server accepts the socket: the session sends `join`. */
  accept(): void {
    this.open = true;
    this.handlers.onOpen();
  }

  receive(message: ServerMessage): void {
    this.handlers.onMessage(message);
  }

  /** The socket drops under the session. */
  drop(opened = true): void {
    this.open = false;
    this.handlers.onClose({ opened, code: 1006, reason: "" });
  }
}

/** What each mode's real media object takes (mcu.ts, sfu.ts, mesh.ts). */
const TAKES: Record<RoomMode, MediaMessage["type"][]> = { mcu: ["answer", "tile", "mix"], sfu: ["answer", "offer"], mesh: ["signal"] };

class FakeMedia implements RoomMedia {
  readonly handled: MediaMessage[] = [];
  rosters: (readonly ParticipantInfo[])[] = [];
  started = false;
  closed = false;

  constructor(
    readonly mode: RoomMode,
    readonly context: MediaContext,
  ) {}

  get timed(): boolean {
    return this.mode !== "mesh";
  }

  start(): void {
    this.started = true;
  }

  handle(message: MediaMessage): boolean {
    if (!TAKES[this.mode].includes(message.type)) return false;
    this.handled.push(message);
    return true;
  }

  setRoster(participants: readonly ParticipantInfo[]): void {
    this.rosters.push(participants);
  }

  close(): void {
    this.closed = true;
  }
}

/** The Ui's calls the tests look at; everything else is accepted and forgotten. */
class FakeUi implements SessionUi {
  readonly statuses: MessageKey[] = [];
  readonly errors: Text[] = [];
  readonly modes: RoomMode[] = [];
  readonly rosters: [readonly ParticipantInfo[], string | null][] = [];
  formShown = false;

  setStatus(_state: string, status: MessageKey): void {
    this.statuses.push(status);
  }
  showError(shown: Text): string {
    this.errors.push(shown);
    return render(english, shown);
  }
  showMode(mode: RoomMode): void {
    this.modes.push(mode);
  }
  renderParticipants(list: readonly ParticipantInfo[], selfId: string | null): void {
    this.rosters.push([list, selfId]);
  }
  showForm(): void {
    this.formShown = true;
  }
  get status(): MessageKey | undefined {
    return this.statuses.at(-1);
  }
  showCall(): void {}
  clearError(): void {}
  setRecording(): void {}
  showRecordingLink(): void {}
  setMicMuted(): void {}
  setCameraOff(): void {}
  showSelf(): void {}
  markSpeaker(): void {}
  setScreenShare(): void {}
}

const person = (id: string, name = id): ParticipantInfo => ({ id, name, role: "sender", audioMuted: false, videoMuted: false });

function joined(mode: RoomMode, participants = [person("me"), person("ada", "Ada")], resume?: string): ServerMessage {
  const output = { width: 1280, height: 720, fps: 30 };
  return {
    type: "joined",
    id: "me",
    room: "r",
    role: "viewer",
    mode,
    iceServers: [],
    output,
    participants,
    recording: null,
    ...(resume ? { resume } : {}),
  };
}

/** A visit: the session with its fakes, started as a viewer (no devices) unless `options` says otherwise. */
function visit(options: Partial<JoinOptions> = {}, page: Partial<SessionDeps> = {}) {
  const sockets: FakeSignaling[] = [];
  const media: FakeMedia[] = [];
  const ends: (ErrorCode | null)[] = [];
  const deps: SessionDeps = {
    openSignaling: (url, handlers) => {
      const socket = new FakeSignaling(url, handlers);
      sockets.push(socket);
      return socket;
    },
    createMedia: (mode, context) => {
      const made = new FakeMedia(mode, context);
      media.push(made);
      return made;
    },
    openLocalMedia: () => Promise.reject(new Error("no devices in a unit test")),
    signalingUrl: "ws://tessera.test/ws",
    watchBlocked: () => () => {},
    mayReloadFor: () => false,
    reload: () => {},
    ...page,
  };
  const ui = new FakeUi();
  const view: TesseraView = emptyView();
  const session = new Session({ room: "r", name: "Me", role: "viewer", ...options }, ui, view, deps, (code) => ends.push(code));
  const socket = () => sockets.at(-1)!;
  return { session, ui, view, sockets, socket, media, ends };
}

/** A visit that has joined a room of `mode` (and whose media is up, with `connected`). */
async function inRoom(mode: RoomMode, connected = true) {
  const v = visit();
  await v.session.start();
  v.socket().accept();
  v.socket().receive(joined(mode, undefined, "resume-1"));
  if (connected) v.media.at(-1)!.context.events.onStatus({ state: "connected" });
  return v;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, "info").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("Session: joining", () => {
  it("opens the page's socket, joins with the room, name, role and mode asked for, then starts the room's media", async () => {
    const v = visit({ mode: "sfu", token: "t.o.k" });
    await v.session.start();
    expect(v.socket().url).toBe("ws://tessera.test/ws");
    expect(v.ui.status).toBe("status.server");
    v.socket().accept();
    expect(v.socket().sent).toEqual([{ type: "join", room: "r", name: "Me", role: "viewer", mode: "sfu", token: "t.o.k" }]);
    v.socket().receive(joined("sfu"));
    expect(v.media).toHaveLength(1);
    const [media] = v.media;
    expect(media.mode).toBe("sfu");
    expect(media.context).toMatchObject({ selfId: "me", role: "viewer", local: null, wasConnected: false, iceTransportPolicy: "all" });
    expect(media.started).toBe(true);
    expect(media.rosters).toEqual([[person("me"), person("ada", "Ada")]]);
    expect(v.ui.modes).toEqual(["sfu"]);
    expect(v.view).toMatchObject({ id: "me", mode: "sfu", state: "connecting" });
    media.context.events.onStatus({ state: "connected" });
    expect(v.ui.status).toBe("status.connected");
    expect(v.view.state).toBe("connected");
  });

  it("a sender whose devices cannot be opened ends the visit with the reason, in the page's words", async () => {
    const v = visit({ role: "sender" });
    await v.session.start();
    expect(v.sockets).toHaveLength(0);
    expect(v.ui.errors).toEqual([{ key: "media.other", params: { detail: "no devices in a unit test" } }]);
    expect(v.view.error).toBe("The camera and microphone could not be opened (no devices in a unit test).");
    expect(v.ui.status).toBe("status.failed");
    expect(v.ends).toEqual([null]);
  });

  it("a server that cannot be reached ends a first join; the socket's address is in the error", async () => {
    const v = visit();
    await v.session.start();
    v.socket().drop(false);
    expect(v.ui.errors).toEqual([{ key: "error.unreachable", params: { url: "ws://tessera.test/ws" } }]);
    expect(v.view.state).toBe("failed");
    expect(v.ui.formShown).toBe(true);
  });

  it("a server that never answers the join ends the visit after 30 s", async () => {
    const v = visit();
    await v.session.start();
    v.socket().accept();
    vi.advanceTimersByTime(30_000);
    expect(v.ui.errors.map((e) => e.key)).toEqual(["error.noJoinAnswer"]);
    expect(v.socket().closedLeaving).toBe(true);
  });
});

describe("Session: each room mode gets its own media object, and only its messages", () => {
  const messages: ServerMessage[] = [
    { type: "answer", sdp: "v=0" },
    { type: "offer", sdp: "v=0" },
    { type: "signal", from: "ada", data: { candidate: null } },
    { type: "tile", width: 320, height: 180, maxBitrate: 300_000 },
    { type: "mix", width: 1280, height: 720, paused: false },
  ];
  it.each<[RoomMode, string[], boolean]>([
    ["mcu", ["answer", "tile", "mix"], true],
    ["sfu", ["answer", "offer"], true],
    ["mesh", ["signal"], false],
  ])("%s: takes %j; the connect timer waits for its media: %s", async (mode, takes, timed) => {
    const v = await inRoom(mode, false);
    const [media] = v.media;
    expect(media.mode).toBe(mode);
    for (const message of messages) v.socket().receive(message);
    expect(media.handled.map((m) => m.type)).toEqual(takes);
    expect(v.ui.errors).toEqual([]);
    // No media after 30 s: a connection to the server is tried again; mesh peers have their own limits.
    vi.advanceTimersByTime(30_000);
    expect(media.closed).toBe(timed);
    expect(v.ui.status).toBe(timed ? "status.reconnecting" : "status.server");
  });

  it("a room that comes back after a server restart is joined in the mode it had", async () => {
    const v = await inRoom("mesh");
    v.socket().drop();
    vi.advanceTimersByTime(10_000);
    v.socket().accept();
    expect(v.socket().sent[0]).toMatchObject({ type: "join", mode: "mesh", resume: "resume-1" });
  });
});

describe("Session: the roster", () => {
  it("goes to the roster's owner and to the media; the automation view gets a copy", async () => {
    const v = await inRoom("sfu");
    const list = [person("me"), person("ada", "Ada"), person("bo", "Bo")];
    v.socket().receive({ type: "participants", participants: list });
    expect(v.ui.rosters.at(-1)).toEqual([list, "me"]);
    expect(v.media[0].rosters.at(-1)).toEqual(list);
    expect(v.view.participants).toEqual(list);
  });
});

describe("Session: the record button", () => {
  it("starts the room's recording, and stops the one the server says is running", async () => {
    const v = await inRoom("mcu");
    v.session.toggleRecording();
    v.socket().receive({ type: "recording", recording: { id: "rec-1", startedAt: "2026-12-08T02:50:00Z", startedBy: "Ada" } });
    expect(v.view.recording).toEqual({ id: "rec-1", startedAt: "2026-12-08T02:50:00Z", startedBy: "Ada" });
    v.session.toggleRecording();
    expect(v.socket().sent.slice(-2)).toEqual([
      { type: "record", action: "start" },
      { type: "record", action: "stop" },
    ]);
  });
});

describe("Session: server errors are shown by key", () => {
  it.each<[string, ErrorCode, string, { key: MessageKey; state: string; ended: boolean }]>([
    ["a refusal to carry on after", "rate-limited", "slow down", { key: "error.server", state: "connected", ended: false }],
    ["a full room", "room-full", "", { key: "error.roomFull", state: "failed", ended: true }],
    ["a refused offer", "bad-offer", "no video", { key: "error.server", state: "failed", ended: true }],
  ])("%s (%s)", async (_what, code, message, want) => {
    const v = await inRoom("mcu");
    v.socket().receive({ type: "error", code, message });
    expect(v.ui.errors.map((e) => e.key)).toEqual([want.key]);
    expect(v.view.errorCode).toBe(code);
    expect(v.view.error).toBe(render(english, v.ui.errors[0]));
    expect(v.view.state).toBe(want.state);
    expect(v.ends).toEqual(want.ended ? [code] : []);
  });

  it("the words of a full room name the room", async () => {
    const v = visit();
    await v.session.start();
    v.socket().accept();
    v.socket().receive({ type: "error", code: "room-full", message: "" });
    expect(v.ui.errors).toEqual([{ key: "error.roomFull", params: { room: "r" } }]);
    expect(v.ends).toEqual(["room-full"]);
  });

  it("a mesh signal that raced someone's departure is not shown", async () => {
    const v = await inRoom("mesh");
    v.socket().receive({ type: "error", code: "unknown-participant", message: "ada" });
    expect(v.ui.errors).toEqual([]);
  });

  it("a bye says why, its reason a text of its own", async () => {
    const v = await inRoom("sfu");
    v.socket().receive({ type: "bye", reason: "kicked" });
    expect(v.ui.errors).toEqual([{ key: "error.bye", params: { reason: { key: "bye.kicked" } } }]);
    expect(v.view.error).toBe("The server ended the session: an operator removed you from the room.");
    expect(v.ui.status).toBe("status.failed");
  });

  it("a media object's own error is shown and the call goes on; a fatal one ends it", async () => {
    const v = await inRoom("mesh");
    v.media[0].context.events.onError({ key: "error.peerFailed", params: { name: "Ada", reason: { key: "reason.peerIce" } } });
    expect(v.view.error).toBe("The media connection to Ada failed: ICE found no working network path between the two browsers.");
    expect(v.view.state).toBe("connected");
    v.media[0].context.events.onFatal({ key: "error.offerFailed", params: { detail: "boom" } });
    expect(v.view.state).toBe("failed");
    expect(v.media[0].closed).toBe(true);
  });
});

describe("Session: reconnection", () => {
  it("a lost socket shows Reconnecting…, joins again with the resume key, and counts the return", async () => {
    const v = await inRoom("mcu");
    const first = v.socket();
    first.drop();
    expect(v.ui.status).toBe("status.reconnecting");
    expect(v.view.reconnecting).toBe(true);
    expect(v.media[0].closed).toBe(true);
    expect(v.ui.errors).toEqual([]);
    // The first try comes within a second (0.5-1 s with jitter).
    vi.advanceTimersByTime(1000);
    expect(v.sockets).toHaveLength(2);
    v.socket().accept();
    expect(v.socket().sent).toEqual([{ type: "join", room: "r", name: "Me", role: "viewer", mode: "mcu", resume: "resume-1" }]);
    v.socket().receive(joined("mcu"));
    const again = v.media[1];
    expect(again.context.wasConnected).toBe(true);
    expect(v.view.reconnects).toBe(0);
    again.context.events.onStatus({ state: "connected" });
    expect(v.view).toMatchObject({ reconnecting: false, reconnects: 1, state: "connected" });
  });

  it("the media of a lost connection speaks for nothing: its late events are dropped", async () => {
    const v = await inRoom("sfu");
    const old = v.media[0];
    v.socket().drop();
    vi.advanceTimersByTime(1000);
    v.socket().accept();
    old.context.events.send({ type: "answer", sdp: "stale" });
    old.context.events.onFatal({ key: "error.badAnswer", params: { detail: "closed" } });
    old.context.events.onStatus({ state: "connected" });
    expect(v.socket().sent.map((m) => m.type)).toEqual(["join"]);
    expect(v.ui.errors).toEqual([]);
    expect(v.view).toMatchObject({ state: "connecting", reconnecting: true, reconnects: 0 });
  });

  it.each<[string, (v: Awaited<ReturnType<typeof inRoom>>) => void]>([
    ["the media connection failed", (v) => v.media[0].context.events.onStatus({ state: "failed" })],
    ["the server is restarting", (v) => v.socket().receive({ type: "error", code: "server-shutdown", message: "" })],
    ["the room failed", (v) => v.socket().receive({ type: "bye", reason: "room-failed" })],
  ])("tries again when %s", async (_what, lose) => {
    const v = await inRoom("sfu");
    const first = v.socket();
    lose(v);
    expect(first.closedLeaving).toBe(false);
    expect(v.view.reconnecting).toBe(true);
    expect(v.ui.status).toBe("status.reconnecting");
    expect(v.ends).toEqual([]);
  });

  it("a media connection that never came up is not tried again", async () => {
    const v = await inRoom("mcu", false);
    v.media[0].context.events.onStatus({ state: "failed" });
    expect(v.ui.errors.map((e) => e.key)).toEqual(["error.iceFailed"]);
    expect(v.view.reconnecting).toBe(false);
    expect(v.ends).toHaveLength(1);
  });

  it("leaving says goodbye and stops trying", async () => {
    const v = await inRoom("mesh");
    v.session.leave();
    expect(v.socket().sent.at(-1)).toEqual({ type: "leave" });
    expect(v.socket().closedLeaving).toBe(true);
    expect(v.media[0].closed).toBe(true);
    expect(v.ui.status).toBe("status.left");
    vi.advanceTimersByTime(60_000);
    expect(v.sockets).toHaveLength(1);
  });
});

describe("Session: cluster redirects", () => {
  const redirect = (n: number): ServerMessage => ({ type: "redirect", url: `ws://node-${n}.test/ws`, room: "r" });

  it("joins on the node the server names, and gives up on a loop", async () => {
    const v = visit();
    await v.session.start();
    v.socket().accept();
    for (let n = 1; n <= 3; n++) {
      v.socket().receive(redirect(n));
      expect(v.sockets.at(-2)!.closedLeaving).toBe(true);
      expect(v.socket().url).toBe(`ws://node-${n}.test/ws`);
      v.socket().accept();
      expect(v.socket().sent).toEqual([{ type: "join", room: "r", name: "Me", role: "viewer" }]);
    }
    v.socket().receive(redirect(4));
    expect(v.sockets).toHaveLength(4);
    expect(v.ui.errors).toEqual([{ key: "error.redirectLoop", params: { max: 3, room: "r" } }]);
  });

  it.each([
    ["reloads the page once, joining at once", true, [], 1],
    ["says which server it may not reach, after a reload did not help", false, ["error.blockedNode"], 0],
  ])("a node the page's policy blocks: %s", async (_what, mayReload, errors, reloads) => {
    let blocked = () => {};
    const reloaded: unknown[] = [];
    const v = visit(
      {},
      {
        watchBlocked: (_url, onBlocked) => ((blocked = onBlocked), () => {}),
        mayReloadFor: () => mayReload,
        reload: (options, devices) => reloaded.push({ options, devices }),
      },
    );
    await v.session.start();
    v.socket().accept();
    v.socket().receive(redirect(1));
    blocked();
    expect(v.ui.errors.map((e) => e.key)).toEqual(errors);
    expect(reloaded).toHaveLength(reloads);
    expect(v.ends).toHaveLength(1);
  });
});
