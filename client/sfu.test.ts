import { describe, expect, it } from "vitest";
import { streamOwner } from "./sfu.js";

describe("sfu: whose stream a forwarded track is", () => {
  it("is the first stream id", () => {
    expect(streamOwner(["a1b2c3d4"])).toBe("a1b2c3d4");
    expect(streamOwner(["a1b2c3d4", "other"])).toBe("a1b2c3d4");
  });

  it("is nobody without a stream id", () => {
    expect(streamOwner([])).toBeNull();
    expect(streamOwner([""])).toBeNull();
    expect(streamOwner(["-"])).toBeNull();
  });
});
