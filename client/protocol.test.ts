import { describe, expect, it } from "vitest";
import { parseServerMessage } from "./protocol.js";

const joined = (extra: Record<string, unknown>) =>
  JSON.stringify({ type: "joined", id: "p1", room: "r", role: "sender", iceServers: [], output: { width: 1280, height: 720, fps: 30 }, participants: [], ...extra });

describe("server messages for room modes", () => {
  it("reads joined.mode, and takes a server that names none for an mcu", () => {
    expect(parseServerMessage(joined({ mode: "sfu" }))).toMatchObject({ type: "joined", mode: "sfu" });
    expect(parseServerMessage(joined({ mode: "mesh" }))).toMatchObject({ type: "joined", mode: "mesh" });
    expect(parseServerMessage(joined({}))).toMatchObject({ type: "joined", mode: "mcu" });
  });

  it("reads the room's recording state from joined and from recording broadcasts", () => {
    const recording = { id: "20260101T120000Z-0123abcd", startedAt: "2026-01-01T12:00:00.000Z" };
    expect(parseServerMessage(joined({ recording }))).toMatchObject({ type: "joined", recording });
    expect(parseServerMessage(joined({}))).toMatchObject({ type: "joined", recording: null });
    expect(parseServerMessage(JSON.stringify({ type: "recording", recording }))).toEqual({ type: "recording", recording });
    expect(parseServerMessage(JSON.stringify({ type: "recording", recording: null }))).toEqual({ type: "recording", recording: null });
    expect(parseServerMessage(JSON.stringify({ type: "recording", recording: { startedAt: "x" } }))).toEqual({ type: "recording", recording: null });
  });

  it("reads a server offer", () => {
    expect(parseServerMessage(JSON.stringify({ type: "offer", sdp: "v=0" }))).toEqual({ type: "offer", sdp: "v=0" });
    expect(parseServerMessage(JSON.stringify({ type: "offer" }))).toBeNull();
  });

  it("reads signals carrying an sdp, a candidate or the end of candidates", () => {
    const sdp = { type: "offer", sdp: "v=0" };
    expect(parseServerMessage(JSON.stringify({ type: "signal", from: "x", data: { sdp } }))).toEqual({ type: "signal", from: "x", data: { sdp } });
    const candidate = { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    expect(parseServerMessage(JSON.stringify({ type: "signal", from: "x", data: { candidate } }))).toEqual({
      type: "signal",
      from: "x",
      data: { candidate },
    });
    expect(parseServerMessage(JSON.stringify({ type: "signal", from: "x", data: { candidate: null } }))).toEqual({
      type: "signal",
      from: "x",
      data: { candidate: null },
    });
  });

  it("drops signals without a sender or usable data", () => {
    expect(parseServerMessage(JSON.stringify({ type: "signal", data: { candidate: null } }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: "signal", from: "x", data: {} }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: "signal", from: "x", data: { sdp: { type: "pranswer", sdp: "v=0" } } }))).toBeNull();
  });
});
