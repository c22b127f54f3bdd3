import { describe, expect, it } from "vitest";
import { meshState, meshStatus, peersToCall, shouldConnect, type MeshState } from "./mesh.js";
import { serverMediaStatus } from "./peer.js";
import type { MediaStatus } from "./roomMedia.js";
import type { ParticipantInfo, Role } from "../protocol/messages.js";

const person = (id: string, role: Role): ParticipantInfo => ({ id, name: id.toUpperCase(), role, audioMuted: false, videoMuted: false });

describe("mesh: who connects to whom", () => {
  it("skips only viewer-to-viewer pairs", () => {
    expect(shouldConnect("sender", "sender")).toBe(true);
    expect(shouldConnect("sender", "viewer")).toBe(true);
    expect(shouldConnect("viewer", "sender")).toBe(true);
    expect(shouldConnect("viewer", "viewer")).toBe(false);
  });

  it("a sending newcomer calls everyone but itself", () => {
    const room = [person("a", "sender"), person("me", "sender"), person("v", "viewer")];
    expect(peersToCall("me", "sender", room).map((p) => p.id)).toEqual(["a", "v"]);
  });

  it("a viewing newcomer calls only the senders", () => {
    const room = [person("a", "sender"), person("v", "viewer"), person("me", "viewer"), person("b", "sender")];
    expect(peersToCall("me", "viewer", room).map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("a lone participant calls no one", () => {
    expect(peersToCall("me", "sender", [person("me", "sender")])).toEqual([]);
    expect(peersToCall("me", "viewer", [])).toEqual([]);
  });
});

describe("mesh: the room's connection state", () => {
  it("is connected with no connections and when every connection is", () => {
    expect(meshState([])).toBe("connected");
    expect(meshState(["connected", "connected"])).toBe("connected");
  });

  it("is connecting while any connection is still coming up", () => {
    expect(meshState(["connected", "new"])).toBe("connecting");
    expect(meshState(["connecting"])).toBe("connecting");
  });

  it("is reconnecting when a connection that was up dropped", () => {
    expect(meshState(["connected", "disconnected"])).toBe("reconnecting");
  });
});

describe("the status line for a room's media", () => {
  it.each<[MeshState, boolean, MediaStatus]>([
    ["connected", false, { state: "connected" }],
    ["connecting", false, { state: "connecting", status: "status.peers" }],
    ["connecting", true, { state: "connecting", status: "status.newPeer" }],
    ["reconnecting", true, { state: "connecting", status: "status.reconnecting" }],
  ])("mesh %s (was connected: %s)", (state, wasConnected, want) => {
    expect(meshStatus(state, wasConnected)).toEqual(want);
  });

  it.each<[RTCPeerConnectionState, boolean, MediaStatus | null]>([
    ["new", false, { state: "connecting", status: "status.connectingMedia" }],
    ["connecting", false, { state: "connecting", status: "status.connectingMedia" }],
    ["connecting", true, { state: "connecting", status: "status.reconnecting" }],
    ["connected", false, { state: "connected" }],
    ["disconnected", true, { state: "connecting", status: "status.reconnecting" }],
    ["failed", false, { state: "failed" }],
    ["closed", true, null],
  ])("a connection to the server %s (was connected: %s)", (state, wasConnected, want) => {
    expect(serverMediaStatus(state, wasConnected)).toEqual(want);
  });
});
