import { describe, expect, it } from "vitest";
import type { ParticipantInfo } from "../protocol/messages.js";
import { emptyState } from "./emptyState.js";

const p = (id: string, role: "sender" | "viewer" = "sender"): ParticipantInfo => ({
  id,
  name: id,
  role,
  audioMuted: false,
  videoMuted: false,
});

describe("empty stage", () => {
  it("a sender alone is told so; where the message goes depends on whether the mix shows them", () => {
    expect(emptyState([p("me")], "me", "sender", "mcu")).toBe("alone-mix");
    expect(emptyState([p("me")], "me", "sender", "sfu")).toBe("alone");
    expect(emptyState([p("me")], "me", "sender", "mesh")).toBe("alone");
  });

  it("anyone else, even a viewer, means the sender is not alone", () => {
    expect(emptyState([p("me"), p("bob")], "me", "sender", "mcu")).toBe("none");
    expect(emptyState([p("me"), p("vic", "viewer")], "me", "sender", "mcu")).toBe("none");
  });

  it("a viewer sees a message until someone sends; other viewers do not count", () => {
    expect(emptyState([p("me", "viewer")], "me", "viewer", "mcu")).toBe("no-senders");
    expect(emptyState([p("me", "viewer"), p("v2", "viewer")], "me", "viewer", "sfu")).toBe("no-senders");
    expect(emptyState([p("me", "viewer"), p("alice")], "me", "viewer", "mcu")).toBe("none");
  });
});
