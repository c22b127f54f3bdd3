import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeChannel } from "../../test/fakes/roomMedia.js";
import { defaultConfig } from "../config.js";
import { silentLogger } from "../log.js";
import type { RecordingInfo } from "../recordings/recordingInfo.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import type { RoomMessage } from "./mediaWorker.js";
import { EMPTY_ROOM_STATE, type RoomOp, type RoomOps, type RoomState } from "./protocol.js";
import { RemoteRoom, type LostRecording, type WorkerLink } from "./remoteRoom.js";

// The proxy's own rules (membership it keeps, channels, closing, a worker's death) with a fake worker that
// records each call and answers it at once; the room in a real worker is test/integration/mediaWorkers.test.ts.

type Call = { [K in RoomOp]: { op: K; args: RoomOps[K]["args"] } }[RoomOp];

class FakeWorker implements WorkerLink {
  readonly index = 0;
  readonly calls: Call[] = [];
  sink: ((message: RoomMessage) => void) | undefined;
  /** What startRecording resolves to. */
  recording: RecordingInfo = { id: "20261208T000000Z-00000001", room: "unit", startedAt: "", bytes: 0, format: "webm" };
  attach(_room: string, sink: (message: RoomMessage) => void): void {
    this.sink = sink;
  }
  detach(): void {
    this.sink = undefined;
  }
  call<K extends RoomOp>(room: string, op: K, args: RoomOps[K]["args"]): Promise<RoomOps[K]["result"]> {
    this.calls.push({ op, args } as Call);
    if (op === "startRecording") return Promise.resolve(this.recording as RoomOps[K]["result"]);
    return Promise.resolve(undefined as RoomOps[K]["result"]);
  }
  /** The worker's room says something. */
  emit(message: RoomMessage): void {
    this.sink?.(message);
  }
  argsOf<K extends RoomOp>(op: K): RoomOps[K]["args"][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args as RoomOps[K]["args"]);
  }
}

function makeRoom(overrides: { maxSenders?: number; onLost?: (lost: LostRecording | undefined) => void } = {}) {
  const worker = new FakeWorker();
  const recordings = new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-remote-")));
  const room = new RemoteRoom({
    name: "unit",
    key: "unit#1",
    mode: "mcu",
    config: { ...defaultConfig, maxSenders: overrides.maxSenders ?? 2 },
    log: silentLogger,
    worker,
    recordings,
    onLost: overrides.onLost,
  });
  return { room, worker, recordings };
}

function admit(room: RemoteRoom, name: string, role: "sender" | "viewer" = "sender") {
  const channel = new FakeChannel();
  const admitted = room.admit(name, role, channel);
  if (!admitted.ok) throw new Error(admitted.message);
  return { channel, participant: admitted.participant };
}

const state = (fields: Partial<RoomState>): RoomState => ({ ...EMPTY_ROOM_STATE, ...fields });

describe("RemoteRoom", () => {
  it("creates its room in the worker, then admits at once: ids and resume keys minted here, sent along", () => {
    const { room, worker } = makeRoom();
    const { participant } = admit(room, "Ada");
    expect(worker.calls[0]).toEqual({ op: "create", args: { name: "unit", mode: "mcu" } });
    expect(worker.argsOf("admit")).toEqual([
      {
        member: participant.id,
        resumeKey: participant.resumeKey,
        name: "Ada",
        role: "sender",
        identity: participant.id,
        channel: 1,
        renegotiates: true,
      },
    ]);
    expect(participant.resumeKey.length).toBeGreaterThanOrEqual(43);
    expect(room.list().map((m) => m.name)).toEqual(["Ada"]);
  });

  it("refuses a sender over MAX_SENDERS from its own roster, never a viewer", () => {
    const { room, worker } = makeRoom({ maxSenders: 1 });
    admit(room, "Ada");
    expect(room.admit("Bo", "sender", new FakeChannel())).toMatchObject({ ok: false, code: "room-full" });
    expect(room.admit("Cy", "viewer", new FakeChannel()).ok).toBe(true);
    expect(worker.argsOf("admit").map((a) => a.name)).toEqual(["Ada", "Cy"]);
  });

  it("routes the worker's messages by channel: after a resume, the old socket hears nothing more", () => {
    const { room, worker } = makeRoom();
    const { channel: first, participant } = admit(room, "Ada");
    const second = new FakeChannel();
    expect(room.resume(participant.resumeKey, second)).toMatchObject({ ok: true, participant });
    expect(first.closedWith).toBe("replaced");
    expect(worker.argsOf("resume")).toEqual([{ resumeKey: participant.resumeKey, channel: 2, renegotiates: true }]);
    worker.emit({ kind: "send", room: "unit#1", channel: 1, message: { type: "speaker", id: null } });
    worker.emit({ kind: "send", room: "unit#1", channel: 2, message: { type: "speaker", id: null } });
    expect(first.messages).toEqual([]);
    expect(second.messages).toEqual([{ type: "speaker", id: null }]);
    expect(room.resume("not-a-key", new FakeChannel())).toBeUndefined();
  });

  it("closes the moment its last participant is removed, so a join meanwhile opens a fresh room", async () => {
    const { room, worker } = makeRoom();
    const { participant: ada } = admit(room, "Ada");
    const { participant: bo } = admit(room, "Bo");
    void room.remove(ada.id, "left");
    expect(room.isClosing).toBe(false);
    worker.emit({
      kind: "event",
      room: "unit#1",
      event: { type: "participant.left", participant: { id: ada.id, name: "Ada" }, reason: "left" },
    });
    expect(room.list().map((m) => m.name)).toEqual(["Bo"]);
    const removed = room.remove(bo.id, "left");
    expect(room.isClosing).toBe(true);
    await removed;
  });

  it("forgets a participant the worker's room let go by itself (a held place ran out)", () => {
    const { room, worker } = makeRoom();
    const { participant } = admit(room, "Ada");
    admit(room, "Bo");
    worker.emit({
      kind: "event",
      room: "unit#1",
      event: { type: "participant.left", participant: { id: participant.id, name: "Ada" }, reason: "did not reconnect" },
    });
    expect(room.list().map((m) => m.name)).toEqual(["Bo"]);
    expect(room.resume(participant.resumeKey, new FakeChannel())).toBeUndefined();
  });

  it("answers getters from the pushed state, and lists the worker's recording in progress in the server's store", () => {
    const { room, worker, recordings } = makeRoom();
    admit(room, "Ada");
    const recording: RecordingInfo = { id: "20261208T000000Z-0000000a", room: "unit", startedAt: "", bytes: 10, format: "webm" };
    worker.emit({
      kind: "state",
      room: "unit#1",
      state: state({
        activeSpeaker: "x",
        recording,
        recordingState: { id: recording.id, startedAt: recording.startedAt, startedBy: "Ada" },
      }),
    });
    expect(room.activeSpeaker).toBe("x");
    expect(room.activeRecording).toEqual(recording);
    expect(room.recordingState).toEqual({ id: recording.id, startedAt: recording.startedAt, startedBy: "Ada" });
    expect(recordings.isActive(recording.id)).toBe(true);
    worker.emit({ kind: "state", room: "unit#1", state: state({}) });
    expect(recordings.isActive(recording.id)).toBe(false);
  });

  it("when its worker dies: everyone is told room-failed, the room closes, and the recording to continue is handed on", async () => {
    const lost: (LostRecording | undefined)[] = [];
    const { room, worker } = makeRoom({ onLost: (l) => lost.push(l) });
    const { channel } = admit(room, "Ada");
    const started = await room.startRecording("api", { format: "mp4" });
    worker.emit({ kind: "state", room: "unit#1", state: state({ recording: started }) });
    let closed = false;
    room.once("closed", () => (closed = true));
    room.workerDied();
    expect(channel.errors("room-failed")).toHaveLength(1);
    expect(closed && room.isClosing).toBe(true);
    expect(room.list()).toEqual([]);
    expect(lost).toEqual([{ id: started.id, by: "api", options: { format: "mp4", continues: undefined } }]);
  });

  it("checks a layout as a room does before sending it", () => {
    const { room, worker } = makeRoom();
    const { participant } = admit(room, "Ada");
    const viewer = admit(room, "Vi", "viewer").participant;
    expect(() => room.setLayout({ layout: "pin", pin: "nobody" })).toThrow(/no participant/);
    expect(() => room.setLayout({ layout: "pin", pin: viewer.id })).toThrow(/viewer/);
    room.setLayout({ layout: "pin", pin: participant.id });
    expect(room.layoutChoice).toEqual({ layout: "pin", pin: participant.id });
    expect(worker.argsOf("setLayout")).toEqual([{ choice: { layout: "pin", pin: participant.id } }]);
  });
});
