import { describe, expect, it } from "vitest";
import { IvfReader, ivfFileHeader, ivfFrame } from "./ivf.js";

describe("ivf", () => {
  it("round-trips frames split across arbitrary chunks", () => {
    const stream = Buffer.concat([
      ivfFileHeader("VP80", 640, 480, 90000),
      ivfFrame(Buffer.from([1, 2, 3]), 0),
      ivfFrame(Buffer.from([4, 5]), 3000),
      ivfFrame(Buffer.alloc(1000, 7), 6000),
    ]);
    const reader = new IvfReader();
    const frames = [];
    for (let i = 0; i < stream.length; i += 7) frames.push(...reader.push(stream.subarray(i, i + 7)));
    expect(frames.map((f) => [f.pts, f.data.length])).toEqual([
      [0, 3],
      [3000, 2],
      [6000, 1000],
    ]);
    expect([...frames[1].data]).toEqual([4, 5]);
  });

  it("rejects a stream that is not IVF", () => {
    expect(() => new IvfReader().push(Buffer.alloc(40))).toThrow(/IVF/);
  });
});
