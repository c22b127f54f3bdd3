import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import { FakeChannel, fakeRoomMedia } from "../../test/fakes/roomMedia.js";
import { defaultConfig } from "../config.js";
import { silentLogger } from "../log.js";
import { RecordingStore } from "../recordings/recordingStore.js";
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
  return { room, admit };
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
