import { describe, expect, it } from "vitest";
import type { RecordingInfo } from "../rooms/conferenceRoom.js";
import { RecordingBytesLedger } from "./recordingBytes.js";

const recording = (id: string, bytes: number): RecordingInfo => ({ id, room: "r", startedAt: "2026-01-01T00:00:00.000Z", bytes });

describe("recording bytes ledger", () => {
  it("adds up recordings in progress and keeps finished ones after they stop", () => {
    const ledger = new RecordingBytesLedger();
    ledger.observe([{ activeRecording: recording("a", 100) }, { activeRecording: undefined }]);
    expect(ledger.total).toBe(100);
    ledger.observe([{ activeRecording: recording("a", 250) }, { activeRecording: recording("b", 10) }]);
    expect(ledger.total).toBe(260);
    // "a" stopped (its room is gone or no longer recording): its last reading stays in the total.
    ledger.observe([{ activeRecording: recording("b", 40) }]);
    expect(ledger.total).toBe(290);
    // The same room recording again gets a new id: counted on top.
    ledger.observe([{ activeRecording: recording("b", 40) }, { activeRecording: recording("c", 5) }]);
    ledger.observe([]);
    expect(ledger.total).toBe(295);
  });

  it("never goes down, even if a reading does", () => {
    const ledger = new RecordingBytesLedger();
    ledger.observe([{ activeRecording: recording("a", 500) }]);
    ledger.observe([{ activeRecording: recording("a", 400) }]);
    expect(ledger.total).toBe(500);
  });
});
