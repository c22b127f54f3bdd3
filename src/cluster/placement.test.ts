import { describe, expect, it } from "vitest";
import type { NodeRecord } from "./nodeRegistry.js";
import { chooseNode } from "./placement.js";

function node(id: string, load: Partial<NodeRecord["load"]> = {}, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    url: `http://${id}.test`,
    draining: false,
    acceptingRooms: true,
    maxRooms: 20,
    load: { rooms: 0, participants: 0, senders: 0, cpuUsed: 0, cpuAllowed: 2, ...load },
    rooms: [],
    updatedAt: "2026-01-01T00:00:00Z",
    ...extra,
  };
}
const pick = (records: NodeRecord[], pending: Record<string, number> = {}) =>
  chooseNode(records.map((record) => ({ record, pendingRooms: pending[record.id] ?? 0 })))?.id;

describe("chooseNode", () => {
  it("takes the node with the fewest senders, then the fewest rooms counting those just claimed for it", () => {
    expect(pick([node("a", { senders: 6, rooms: 1 }), node("b", { senders: 1, rooms: 1 }), node("c", { senders: 2 })])).toBe("b");
    expect(pick([node("a", { rooms: 1 }), node("b", { rooms: 0 })])).toBe("b");
    expect(pick([node("a"), node("b")], { a: 0, b: 1 })).toBe("a");
  });

  it("leaves out nodes that are draining, without Redis, or full; none left is undefined", () => {
    expect(pick([node("a", {}, { draining: true }), node("b", { senders: 9 })])).toBe("b");
    expect(pick([node("a", {}, { acceptingRooms: false }), node("b", { senders: 9 })])).toBe("b");
    expect(pick([node("a", { rooms: 2 }, { maxRooms: 2 }), node("b", { senders: 9 })])).toBe("b");
    expect(pick([node("a", { rooms: 1 }, { maxRooms: 2 })], { a: 1 })).toBeUndefined();
    expect(pick([])).toBeUndefined();
  });

  it("puts a node past 90% of its CPU after every other, and otherwise breaks ties by CPU share, then id", () => {
    expect(pick([node("a", { cpuUsed: 1.9 }), node("b", { senders: 4, cpuUsed: 0.5 })])).toBe("b");
    expect(pick([node("a", { cpuUsed: 1.9 }), node("b", { senders: 4, cpuUsed: 1.95 })])).toBe("a");
    expect(pick([node("a", { cpuUsed: 1.0 }), node("b", { cpuUsed: 0.2 })])).toBe("b");
    expect(pick([node("b"), node("a")])).toBe("a");
  });
});
