import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, fakeRoomMedia } from "../../test/fakes/roomMedia.js";
import { defaultConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
import { screenSourceId } from "../../protocol/screenSource.js";
import { capability } from "./capabilities.js";
import { SfuRoom } from "./sfuRoom.js";

// SFU room rules with fake peers: no network. Forwarding itself is tested for real in test/integration/sfu.test.ts
// and, with an H264-only browser, in test/e2e/h264Only.test.ts.

function makeRoom() {
  const media = fakeRoomMedia();
  const room = new SfuRoom({
    name: "unit",
    config: { ...defaultConfig, maxSenders: 4, connectTimeoutMs: 5000 },
    log: silentLogger,
    processes: new ProcessGroup(),
    recordings: new RecordingStore(mkdtempSync(join(tmpdir(), "tessera-unit-"))),
    media,
  });
  const admit = (name: string) => {
    const admitted = room.admit(name, "sender", new FakeChannel());
    if (!admitted.ok) throw new Error(admitted.message);
    return { id: admitted.participant.id, peer: media.peers.at(-1)! };
  };
  return { room, admit, media };
}

describe("SfuRoom and H264-only participants", () => {
  it("answers senders H264 first exactly while someone in the room cannot receive VP8", async () => {
    const { room, admit } = makeRoom();
    const ada = admit("Ada");
    expect(ada.peer.preferH264?.()).toBe(false);
    const hana = admit("Hana");
    hana.peer.receivesVp8 = false;
    const bo = admit("Bo");
    expect(bo.peer.preferH264?.()).toBe(true);
    // Asked when the offer is answered, not when the peer was made: Ada's (were she to offer now) too.
    expect(ada.peer.preferH264?.()).toBe(true);
    // Not knowing yet (no offer) is not "cannot".
    hana.peer.receivesVp8 = undefined;
    expect(bo.peer.preferH264?.()).toBe(false);
    hana.peer.receivesVp8 = false;
    await room.remove(hana.id, "left");
    expect(bo.peer.preferH264?.()).toBe(false);
    await room.close();
  });
});

describe("SfuRoom screen sharing", () => {
  it("forwards the screen to everyone connected but its sharer, to a later joiner too, and retires it when the share ends", async () => {
    const { room, admit, media } = makeRoom();
    const ada = admit("Ada");
    const bo = admit("Bo");
    ada.peer.connect();
    bo.peer.connect();
    const screens = capability(room, "screenShare");
    await screens.shareScreen(ada.id, "v=0 screen");
    const source = screenSourceId(ada.id);
    expect(bo.peer.forward(source), "Bo gets Ada's screen").toBeDefined();
    expect(ada.peer.forward(source), "Ada is not sent her own screen").toBeUndefined();
    const cy = admit("Cy");
    cy.peer.connect();
    expect(cy.peer.forward(source), "a later joiner gets it once connected").toBeDefined();
    // A receiver's keyframe request for the screen reaches the screen's own connection, not Ada's camera.
    const screenPeer = media.peers.find((p) => p !== ada.peer && p !== bo.peer && p !== cy.peer)!;
    bo.peer.askKeyframeOf!(source);
    expect(screenPeer.keyframeRequests).toBe(1);
    expect(ada.peer.keyframeRequests).toBe(0);
    await room.remove(ada.id, "left");
    expect(screens.screenSharer).toBeUndefined();
    expect(bo.peer.forward(source)).toBeUndefined();
    expect(cy.peer.forward(source)).toBeUndefined();
    await room.close();
  });
});
