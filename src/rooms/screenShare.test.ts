import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, fakeRoomMedia, UNUSABLE_OFFER } from "../../test/fakes/roomMedia.js";
import { defaultConfig, type Config } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { capability } from "./capabilities.js";
import { McuRoom } from "./mcuRoom.js";
import { screenTileId } from "./screenShare.js";

// The room's screen-share rules with fake peers and a fake mixer; test/integration/screenShare.test.ts shares for real.

function makeRoom(overrides: Partial<Config> = {}) {
  const media = fakeRoomMedia();
  const room = new McuRoom({
    name: "unit",
    config: { ...defaultConfig, maxSenders: 3, connectTimeoutMs: 5000, ...overrides },
    log: silentLogger,
    processes: new ProcessGroup(),
    recordings: new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-unit-"))),
    media,
  });
  const enter = (name: string, role: "sender" | "viewer" = "sender") => {
    const channel = new FakeChannel();
    const admitted = room.admit(name, role, channel);
    if (!admitted.ok) throw new Error(admitted.message);
    // The camera's connection is up: the room's connect deadline is not what these tests are about.
    media.peers.at(-1)!.connect();
    return { channel, id: admitted.participant.id };
  };
  return { room, media, mixer: media.mixers[0], enter, screens: capability(room, "screenShare") };
}

const sharers = (channel: FakeChannel) => channel.messages.flatMap((m) => (m.type === "screen" ? [m.id] : []));

describe("screen sharing in an MCU room", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("draws the sharer's screen on a peer of its own, tells everyone, and ends it on stop", async () => {
    const { media, mixer, enter, screens } = makeRoom();
    const ada = enter("Ada");
    const bo = enter("Bo");
    const peersBefore = media.peers.length;
    expect(await screens.shareScreen(ada.id, "v=0 screen offer")).toBe("v=0 fake answer");
    expect(media.peers.length, "a second peer connection, not a renegotiation of the first").toBe(peersBefore + 1);
    expect([...mixer.screens]).toEqual([[screenTileId(ada.id), "Ada"]]);
    expect(screens.screenSharer).toBe(ada.id);
    expect(sharers(bo.channel)).toEqual([ada.id]);
    screens.stopScreen(ada.id, "stopped");
    await vi.advanceTimersByTimeAsync(0);
    expect(mixer.screens.size).toBe(0);
    expect(media.peers.at(-1)!.closed).toBe(true);
    expect(sharers(bo.channel)).toEqual([ada.id, null]);
  });

  it("refuses a second share with screen-busy naming the sharer (SCREEN_SHARE_POLICY=refuse, the default)", async () => {
    const { enter, screens, mixer } = makeRoom();
    const ada = enter("Ada");
    const bo = enter("Bo");
    await screens.shareScreen(ada.id, "v=0 a");
    await expect(screens.shareScreen(bo.id, "v=0 b")).rejects.toMatchObject({
      code: "screen-busy",
      message: expect.stringContaining("Ada is sharing a screen"),
    });
    expect(screens.screenSharer).toBe(ada.id);
    expect([...mixer.screens.keys()]).toEqual([screenTileId(ada.id)]);
  });

  it("lets a second share take over with SCREEN_SHARE_POLICY=takeover: the first stops", async () => {
    const { enter, screens, mixer, media } = makeRoom({ screenSharePolicy: "takeover" });
    const ada = enter("Ada");
    const bo = enter("Bo");
    await screens.shareScreen(ada.id, "v=0 a");
    const adaPeer = media.peers.at(-1)!;
    await screens.shareScreen(bo.id, "v=0 b");
    await vi.advanceTimersByTimeAsync(0);
    expect(screens.screenSharer).toBe(bo.id);
    expect(adaPeer.closed).toBe(true);
    expect([...mixer.screens.keys()]).toEqual([screenTileId(bo.id)]);
    expect(sharers(ada.channel)).toEqual([ada.id, null, bo.id]);
    expect(ada.channel.messages.find((m) => m.type === "screen" && m.id === null)).toMatchObject({ reason: "Bo took over the screen" });
  });

  it("ends the share when the sharer leaves, and when its connection never comes up", async () => {
    const { enter, screens, mixer, room } = makeRoom();
    const ada = enter("Ada");
    const bo = enter("Bo");
    await screens.shareScreen(ada.id, "v=0 a");
    await room.remove(ada.id, "left");
    expect(screens.screenSharer).toBeUndefined();
    expect(mixer.screens.size).toBe(0);
    expect(sharers(bo.channel)).toEqual([ada.id, null]);

    await screens.shareScreen(bo.id, "v=0 b");
    await vi.advanceTimersByTimeAsync(5001);
    expect(screens.screenSharer, "not connected within CONNECT_TIMEOUT_MS").toBeUndefined();
    expect(bo.channel.messages.at(-1)).toMatchObject({ type: "screen", id: null, reason: "the screen's connection did not come up" });
  });

  it("keeps the share while its connection is up; a viewer cannot share; a refused offer leaves no share", async () => {
    const { enter, screens, media, mixer } = makeRoom();
    const ada = enter("Ada");
    const vic = enter("Vic", "viewer");
    await screens.shareScreen(ada.id, "v=0 a");
    media.peers.at(-1)!.connect();
    await vi.advanceTimersByTimeAsync(6000);
    expect(screens.screenSharer).toBe(ada.id);
    await expect(screens.shareScreen(vic.id, "v=0 v")).rejects.toMatchObject({
      code: "screen-busy",
      message: expect.stringContaining("viewers"),
    });
    screens.stopScreen(ada.id, "stopped");
    await expect(screens.shareScreen(ada.id, UNUSABLE_OFFER)).rejects.toMatchObject({ code: "no-usable-codec" });
    expect(screens.screenSharer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(0);
    expect(mixer.screens.size).toBe(0);
  });

  it("routes the mixer's keyframe requests for the screen to the screen's connection", async () => {
    const { enter, screens, media, mixer } = makeRoom();
    const ada = enter("Ada");
    await screens.shareScreen(ada.id, "v=0 a");
    const camera = media.peers[0];
    const screen = media.peers.at(-1)!;
    mixer.emit("keyframeRequest", screenTileId(ada.id));
    expect(screen.keyframeRequests).toBe(1);
    expect(camera.keyframeRequests).toBe(0);
  });
});
