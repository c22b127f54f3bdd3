import { describe, expect, it } from "vitest";
import { createLogger, levelFromEnv } from "./log.js";

/** A pino destination that keeps each line, parsed. */
function collector() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe("logger", () => {
  it("writes one JSON object per line with level name, time, message and fields, children adding theirs", () => {
    const { lines, destination } = collector();
    const room = createLogger({ level: "info", destination }).child({ room: "standup", mode: "mcu" });
    room.info("participant joined", { participant: "3f9c2a1b", role: "sender" });
    room.child({ participant: "9e01d4c7" }).warn("slow decoder");
    expect(lines).toEqual([
      {
        level: "info",
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        room: "standup",
        mode: "mcu",
        participant: "3f9c2a1b",
        role: "sender",
        msg: "participant joined",
      },
      { level: "warn", time: expect.any(String), room: "standup", mode: "mcu", participant: "9e01d4c7", msg: "slow decoder" },
    ]);
  });

  it("drops lines below its level", () => {
    const { lines, destination } = collector();
    const log = createLogger({ level: "warn", destination });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e", { error: "boom" });
    expect(lines.map((l) => l.msg)).toEqual(["w", "e"]);
  });

  it("reads LOG_LEVEL, falling back to info for anything it does not know", () => {
    expect(levelFromEnv("debug")).toBe("debug");
    expect(levelFromEnv("silent")).toBe("silent");
    expect(levelFromEnv("verbose")).toBe("info");
    expect(levelFromEnv(undefined)).toBe("info");
  });

  it("writes nothing at level silent, not even an error from a child (what silentLogger is)", () => {
    const { lines, destination } = collector();
    const log = createLogger({ level: "silent", destination });
    log.child({ room: "x" }).error("nothing", { a: 1 });
    log.warn("nor this");
    expect(lines).toEqual([]);
  });
});
