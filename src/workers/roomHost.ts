import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import { capability } from "../rooms/capabilities.js";
import type { ParticipantChannel } from "../rooms/participant.js";
import { McuRoom } from "../rooms/mcuRoom.js";
import type { RoomContext } from "../rooms/roomContext.js";
import { realRoomMedia } from "../rooms/roomMedia.js";
import { SfuRoom } from "../rooms/sfuRoom.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";
import type { FromWorker, RoomCall, RoomOps, RoomState, WorkerRoomMode } from "./protocol.js";

/** What a worker gives the rooms it hosts. */
export interface RoomHostOptions {
  readonly config: Config;
  readonly log: Logger;
  /** The worker's process group; each room gets a child group of it. */
  readonly processes: ProcessGroup;
  /** A room's process group that tells the server of every child it starts and reaps. */
  readonly roomProcesses: (parent: ProcessGroup) => ProcessGroup;
  readonly recordings: RecordingStore;
  readonly metrics: MediaMetrics;
  readonly locate: RoomEvents["locate"];
  /** To the server. */
  readonly post: (message: FromWorker) => void;
}

type HostedRoom = McuRoom | SfuRoom;

/** Messages that tell a participant of a change in the state the proxy mirrors (RoomState). */
const MIRRORED: ReadonlySet<string> = new Set(["recording", "speaker", "screen"]);

/** How often each room's state (speaker, recording, links, mixer figures) is pushed to the server's proxy. */
const STATE_INTERVAL_MS = 500;

/**
 * The rooms of one media worker: each is the same McuRoom or SfuRoom the server runs without workers,
 * driven by the calls of its proxy (RemoteRoom) in the server and talking back through it.
 */
export class RoomHost {
  private readonly rooms = new Map<string, HostedRoom>();
  /** The id and resume key the next admit() takes (minted by the proxy). */
  private pendingKeys: { id: string; resumeKey: string } | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: RoomHostOptions) {
    this.timer = setInterval(() => {
      for (const name of this.rooms.keys()) this.pushState(name);
    }, STATE_INTERVAL_MS);
    this.timer.unref();
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get participantCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.list().length;
    return n;
  }

  /** One call from the proxy: its result, or the error it threw (sent back as a WireError). */
  async call(message: RoomCall): Promise<unknown> {
    if (message.op === "create") return this.create(message.room, message.args.name, message.args.mode);
    const room = this.rooms.get(message.room);
    if (!room) throw new Error(`no room "${message.room}" in this worker`);
    try {
      return await (this.ops[message.op] as (room: HostedRoom, name: string, args: unknown) => unknown)(room, message.room, message.args);
    } finally {
      // Before the reply: the proxy's getters read the state the call left (a recording started, a layout).
      if (this.rooms.get(message.room) === room) this.pushState(message.room);
    }
  }

  /** Closes every room (recordings finished), for the worker's exit. */
  async closeAll(reason: string): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.rooms.values()].map((room) => room.close(reason)));
  }

  private create(key: string, name: string, mode: WorkerRoomMode): void {
    const { config, log, processes, recordings, metrics, post, locate } = this.options;
    const context: RoomContext = {
      name,
      config,
      log: log.child({ room: name, mode }),
      processes: this.options.roomProcesses(processes),
      recordings,
      media: realRoomMedia,
      metrics,
      events: { send: (_room, event) => post({ kind: "event", room: key, event }), locate },
      memberKeys: () => {
        const keys = this.pendingKeys;
        this.pendingKeys = undefined;
        return keys;
      },
    };
    const room = mode === "sfu" ? new SfuRoom(context) : new McuRoom(context);
    this.rooms.set(key, room);
    room.once("closed", () => {
      this.rooms.delete(key);
      post({ kind: "closed", room: key });
    });
  }

  private channel(room: string, channel: number, renegotiates: boolean): ParticipantChannel {
    const { post } = this.options;
    return {
      send: (message) => {
        // What the page is told here, the server's getters say first (a test, or the API, may ask the moment it hears).
        if (MIRRORED.has(message.type)) this.pushState(room);
        post({ kind: "send", room, channel, message });
      },
      close: (reason) => post({ kind: "closeChannel", room, channel, reason }),
      renegotiates,
    };
  }

  private pushState(name: string): void {
    const room = this.rooms.get(name);
    if (!room) return;
    this.options.post({ kind: "state", room: name, state: stateOf(room) });
  }

  private readonly ops: { [K in Exclude<keyof RoomOps, "create">]: (room: HostedRoom, name: string, args: RoomOps[K]["args"]) => unknown } =
    {
      admit: (room, name, a) => {
        if (room.isClosing) throw new Error("the room is closing");
        this.pendingKeys = { id: a.member, resumeKey: a.resumeKey };
        const result = room.admit(a.name, a.role, this.channel(name, a.channel, a.renegotiates), a.identity);
        this.pendingKeys = undefined;
        if (!result.ok) throw new Error(result.message);
      },
      resume: (room, name, a) => room.resume(a.resumeKey, this.channel(name, a.channel, a.renegotiates))?.ok === true,
      disconnected: (room, _name, a) => room.disconnected(a.member, a.reason),
      remove: (room, _name, a) => room.remove(a.member, a.reason),
      setMuted: (room, _name, a) => room.setMuted(a.member, a.mute),
      offer: (room, _name, a) => room.offer(a.member, a.sdp),
      candidate: (room, _name, a) => room.candidate(a.member, a.candidate),
      answer: (room, _name, a) => capability(room, "serverOffers").answer(a.member, a.sdp),
      shareScreen: (room, _name, a) => capability(room, "screenShare").shareScreen(a.member, a.sdp),
      screenCandidate: (room, _name, a) => capability(room, "screenShare").screenCandidate(a.member, a.candidate),
      stopScreen: (room, _name, a) => capability(room, "screenShare").stopScreen(a.member, a.reason),
      setLayout: (room, _name, a) => capability(room, "layout").setLayout(a.choice),
      setDisplay: (room, _name, a) => capability(room, "display").setDisplay(a.member, a.display),
      startRecording: (room, _name, a) => capability(room, "recording").startRecording(a.by, a.options),
      stopRecording: (room, _name, a) => capability(room, "recording").stopRecording(a.by),
      close: (room, _name, a) => room.close(a.reason),
    };
}

/** What the proxy's synchronous getters answer from. */
function stateOf(room: HostedRoom): RoomState {
  const { layout, recording, mix, links, screenShare } = room.capabilities;
  return {
    closing: room.isClosing,
    layout: layout?.layoutChoice,
    activeSpeaker: layout?.activeSpeaker,
    recording: recording?.activeRecording,
    recordingState: recording?.recordingState ?? null,
    screenSharer: screenShare?.screenSharer,
    mediaStats: room.isClosing ? undefined : mix?.mediaStats,
    links: links
      ? room.list().flatMap((m) => {
          const link = links.linkOf(m.id);
          return link ? [[m.id, link] as const] : [];
        })
      : [],
  };
}
