import { describe, expect, it } from "vitest";
import { validateJoin } from "../client/params.js";
import { candidateInit } from "../client/peer.js";
import { displayMessage } from "../client/display.js";
import { BYE_REASONS } from "./byeReasons.js";
import { ERROR_CODE_LIST } from "./errorCodes.js";
import { clientMessageSchemas, serverMessageSchema, type ClientMessageInput, type ServerMessage } from "./messages.js";
import { parseClientMessage, parseServerMessage } from "./parse.js";

const participants = [
  { id: "a1b2c3d4", name: "Ada", role: "sender", audioMuted: false, videoMuted: true },
  { id: "e5f6a7b8", name: "김민수", role: "viewer", audioMuted: true, videoMuted: false },
] as const;
const recording = { id: "20260101T120000Z-0123abcd", startedAt: "2026-01-01T12:00:00.000Z" };
const joined = {
  type: "joined",
  id: "a1b2c3d4",
  room: "interview-1",
  role: "sender",
  mode: "mcu",
  iceServers: [{ urls: ["stun:stun.example.org:3478"] }, { urls: ["turn:turn.example.org"], username: "u", credential: "c" }],
  output: { width: 1280, height: 720, fps: 30 },
  participants: [...participants],
  recording: null,
} satisfies ServerMessage;

/** One of each message the server sends, in the shapes src/ builds them. */
const serverSends: ServerMessage[] = [
  joined,
  { ...joined, mode: "sfu", role: "viewer", recording },
  { ...joined, mode: "mesh", iceServers: [] },
  { type: "answer", sdp: "v=0\r\n" },
  { type: "offer", sdp: "v=0\r\n" },
  { type: "signal", from: "a1b2c3d4", data: { sdp: { type: "offer", sdp: "v=0\r\n" } } },
  {
    type: "signal",
    from: "a1b2c3d4",
    data: { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } },
  },
  { type: "signal", from: "a1b2c3d4", data: { candidate: null } },
  { type: "tile", width: 640, height: 360, maxBitrate: 600_000 },
  { type: "participants", participants: [...participants] },
  { type: "participants", participants: [] },
  { type: "recording", recording },
  { type: "recording", recording: null },
  { type: "redirect", url: "wss://node-2.example.com/ws", room: "standup" },
  { type: "speaker", id: "a1b2c3d4" },
  { type: "speaker", id: null },
  { type: "tile", width: 1024, height: 720, maxBitrate: 1_500_000, source: "screen" },
  { type: "screenAnswer", sdp: "v=0\r\n" },
  { type: "screen", id: "a1b2c3d4" },
  { type: "screen", id: null, reason: "the sharer stopped" },
  { type: "mix", width: 360, height: 640, paused: false },
  { type: "mix", width: 0, height: 0, paused: true },
  { ...joined, room: "모의면접" },
  ...ERROR_CODE_LIST.map((code): ServerMessage => ({ type: "error", code, message: `about ${code}` })),
  ...BYE_REASONS.map((reason): ServerMessage => ({ type: "bye", reason })),
];

const serverRefuses = (value: unknown) => {
  const r = parseServerMessage(JSON.stringify(value));
  if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
  return r.problem;
};

describe("server messages", () => {
  it("accept every message the server sends, unchanged", () => {
    for (const message of serverSends) expect(parseServerMessage(JSON.stringify(message)), message.type).toEqual({ ok: true, message });
  });

  it("refuse what the old client let through: no output, any string as a code, free text as a reason", () => {
    expect(serverRefuses({ ...joined, output: null })).toMatch(/output/);
    expect(serverRefuses({ type: "error", code: "unknown", message: "" })).toMatch(/code/);
    expect(serverRefuses({ type: "bye", reason: "removed from the room by an operator" })).toMatch(/reason/);
  });

  it("refuse malformed messages, naming the type and the field", () => {
    const { mode: _mode, ...withoutMode } = joined;
    expect(serverRefuses(withoutMode)).toMatch(/^invalid "joined" message: mode: /);
    expect(serverRefuses({ ...joined, participants: [{ ...participants[0], role: "admin" }] })).toMatch(/participants\.0\.role/);
    expect(serverRefuses({ ...joined, recording: { startedAt: "x" } })).toMatch(/recording/);
    expect(serverRefuses({ type: "tile", width: 0, height: 360, maxBitrate: 1 })).toMatch(/width/);
    expect(serverRefuses({ type: "offer" })).toMatch(/sdp/);
    expect(serverRefuses({ type: "redirect", url: "https://node-2.example.com/ws", room: "standup" })).toMatch(/url/);
    expect(serverRefuses({ type: "signal", data: { candidate: null } })).toMatch(/from/);
    expect(serverRefuses({ type: "signal", from: "x", data: {} })).toMatch(/data needs an sdp or a candidate/);
    expect(serverRefuses({ type: "signal", from: "x", data: { sdp: { type: "pranswer", sdp: "v=0" } } })).toMatch(/data\.sdp\.type/);
    expect(serverRefuses({ type: "dance" })).toMatch(/type/);
    expect(serverRefuses({ type: "speaker" })).toMatch(/id/);
    expect(serverRefuses({ type: "speaker", id: "" })).toMatch(/id/);
    expect(serverRefuses({ type: "mix", width: 640, height: 360 })).toMatch(/paused/);
    expect(serverRefuses([1, 2])).toBe("not a JSON object");
    expect(parseServerMessage("{nope")).toEqual({ ok: false, problem: "not valid JSON" });
  });

  it("drop fields they do not know, so an older page reads a newer server", () => {
    expect(parseServerMessage(JSON.stringify({ type: "tile", width: 640, height: 360, maxBitrate: 1, future: true }))).toEqual({
      ok: true,
      message: { type: "tile", width: 640, height: 360, maxBitrate: 1 },
    });
  });

  it("are one schema per type", () => {
    const types = new Set(serverSends.map((m) => m.type));
    expect(types.size).toBe(serverMessageSchema.def.options.length);
  });
});

describe("client messages: display", () => {
  it("bound the box and the pixel ratio, and name the field refused", () => {
    const refused = (value: unknown) => {
      const r = parseClientMessage(JSON.stringify(value));
      if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused`);
      return r.message;
    };
    const ok = { type: "display", width: 390, height: 693, pixelRatio: 3, orientation: "portrait" };
    expect(parseClientMessage(JSON.stringify(ok))).toEqual({ ok: true, message: ok });
    expect(refused({ ...ok, width: 0 })).toMatch(/width/);
    expect(refused({ ...ok, height: 1e9 })).toMatch(/height/);
    expect(refused({ ...ok, width: 390.5 })).toMatch(/width/);
    expect(refused({ ...ok, pixelRatio: 100 })).toMatch(/pixelRatio/);
    expect(refused({ ...ok, orientation: "square" })).toMatch(/orientation/);
    expect(refused({ ...ok, extra: 1 })).toMatch(/extra/);
  });

  it("the page's own message stays inside those bounds whatever the browser reports", () => {
    for (const [box, ratio] of [
      [{ width: 0, height: -5 }, Number.NaN],
      [{ width: 1e7, height: 1e7 }, 1000],
      [{ width: 390.4, height: 693.6 }, 0],
    ] as const) {
      const m = displayMessage(box, ratio, { width: 390, height: 844 });
      expect(parseClientMessage(JSON.stringify(m)).ok).toBe(true);
    }
    expect(displayMessage({ width: 390, height: 693 }, 3, { width: 390, height: 844 }).orientation).toBe("portrait");
    expect(displayMessage({ width: 844, height: 390 }, 3, { width: 844, height: 390 }).orientation).toBe("landscape");
  });
});

describe("client messages", () => {
  const accepted = (message: ClientMessageInput) => {
    const r = parseClientMessage(JSON.stringify(message));
    if (!r.ok) throw new Error(`${message.type} refused: ${r.message}`);
    return r.message;
  };

  it("accept what the page sends: its join, as validateJoin builds it, with the name the server will show", () => {
    for (const [room, name, role, mode] of [
      ["r", "  Ada ", "", ""],
      ["interview-1", "Zoe\u0308 \u202eK", "viewer", "sfu"],
      ["x", "a\nb", "", "mesh"],
      ["모의면접", "김민수", "", ""],
    ]) {
      const v = validateJoin(room, name, role, mode);
      if (!v.ok) throw new Error(v.error.key);
      const join: ClientMessageInput = {
        type: "join",
        room: v.options.room,
        name: v.options.name,
        role: v.options.role,
        ...(v.options.mode ? { mode: v.options.mode } : {}),
      };
      // The page cleans as the server does: the server's cleaning changes nothing more.
      expect(accepted(join)).toEqual({ ...join, name: v.options.name });
    }
  });

  it("normalise a room name to NFC and refuse one that could be a path or look blank", () => {
    expect(accepted({ type: "join", room: "\u1100\u1161\u11a8", name: "A" })).toMatchObject({ room: "\uac01" });
    for (const room of ["../x", "a/b", "a.b", "a b", "\u3164", "x".repeat(65)]) {
      const r = parseClientMessage(JSON.stringify({ type: "join", room, name: "A" }));
      expect(r.ok, room).toBe(false);
      if (!r.ok) expect(r.message).toContain("room");
    }
  });

  it("accept the page's candidates and the end of candidates, in a candidate and in a mesh signal", () => {
    const browserCandidate = {
      candidate: "candidate:842163049 1 udp 1677729535 192.0.2.1 50123 typ srflx raddr 0.0.0.0 rport 0",
      sdpMid: "0",
      sdpMLineIndex: 0,
      usernameFragment: "abcd",
    } as RTCIceCandidate;
    for (const candidate of [candidateInit(browserCandidate), candidateInit(null)]) {
      if (candidate === undefined) throw new Error("a real candidate is sent");
      accepted({ type: "candidate", candidate });
      accepted({ type: "signal", to: "a1b2c3d4", data: { candidate } });
    }
    expect(candidateInit({ ...browserCandidate, candidate: "" } as RTCIceCandidate)).toBeUndefined();
  });

  it("accept the rest of what the page sends", () => {
    const sent: ClientMessageInput[] = [
      { type: "offer", sdp: "v=0\r\n" },
      { type: "answer", sdp: "v=0\r\n" },
      { type: "signal", to: "a1b2c3d4", data: { sdp: { type: "answer", sdp: "v=0\r\n" } } },
      { type: "mute", audio: true },
      { type: "mute", video: false },
      { type: "record", action: "start" },
      { type: "record", action: "stop" },
      displayMessage({ width: 390, height: 693 }, 3, { width: 390, height: 844 }),
      displayMessage({ width: 1280, height: 720 }, 1.25, { width: 1440, height: 900 }),
      { type: "leave" },
      { type: "screenOffer", sdp: "v=0\r\n" },
      { type: "screenCandidate", candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 } },
      { type: "screenCandidate", candidate: null },
      { type: "screenStop" },
    ];
    for (const message of sent) expect(accepted(message)).toEqual(message);
    expect(new Set(sent.map((m) => m.type)).size + 2).toBe(Object.keys(clientMessageSchemas).length);
  });
});
