import { describe, expect, it } from "vitest";
import { byteRange } from "./byteRange.js";

const SIZE = 1000;
const partial = (start: number, end: number) => ({ kind: "partial", start, end });
const whole = { kind: "whole" };
const unsatisfiable = { kind: "unsatisfiable" };

describe("byteRange (RFC 9110 section 14)", () => {
  it("reads first-last ranges, cutting a last position past the end", () => {
    expect(byteRange("bytes=0-", SIZE)).toEqual(partial(0, 999));
    expect(byteRange("bytes=10-19", SIZE)).toEqual(partial(10, 19));
    expect(byteRange("bytes=999-999", SIZE)).toEqual(partial(999, 999));
    expect(byteRange("bytes=500-5000", SIZE)).toEqual(partial(500, 999));
    expect(byteRange("Bytes = 10-19", SIZE)).toEqual(partial(10, 19));
  });

  it("reads suffix ranges: the last n bytes, or the whole file when n is longer than it", () => {
    expect(byteRange("bytes=-1", SIZE)).toEqual(partial(999, 999));
    expect(byteRange("bytes=-100", SIZE)).toEqual(partial(900, 999));
    expect(byteRange("bytes=-1000", SIZE)).toEqual(partial(0, 999));
    expect(byteRange("bytes=-1001", SIZE)).toEqual(partial(0, 999));
    expect(byteRange("bytes=-99999999999", SIZE)).toEqual(partial(0, 999));
    expect(byteRange(`bytes=-${"9".repeat(40)}`, SIZE)).toEqual(partial(0, 999));
  });

  it("is unsatisfiable when every range starts past the end, or asks for no bytes", () => {
    expect(byteRange("bytes=1000-", SIZE)).toEqual(unsatisfiable);
    expect(byteRange("bytes=1000-2000", SIZE)).toEqual(unsatisfiable);
    expect(byteRange(`bytes=${"9".repeat(30)}-`, SIZE)).toEqual(unsatisfiable);
    expect(byteRange("bytes=-0", SIZE)).toEqual(unsatisfiable);
    expect(byteRange("bytes=2000-, 3000-", SIZE)).toEqual(unsatisfiable);
    expect(byteRange("bytes=0-", 0)).toEqual(unsatisfiable);
    expect(byteRange("bytes=-5", 0)).toEqual(unsatisfiable);
  });

  it("ignores what is not a valid bytes range (the whole file is sent)", () => {
    for (const h of [
      undefined,
      "",
      "bytes",
      "bytes=",
      "bytes=abc",
      "bytes=5-2",
      "bytes=--5",
      "bytes=1-2-3",
      "bytes=0x10-",
      "bytes=-",
      "bytes=1.5-2",
      "bytes=+1-2",
      "items=0-1",
      "0-1",
      "bytes=0-1,junk",
    ]) {
      expect(byteRange(h, SIZE), String(h)).toEqual(whole);
    }
  });

  it("serves overlapping or touching ranges as one, and disjoint ones as the whole file", () => {
    expect(byteRange("bytes=0-99,50-149", SIZE)).toEqual(partial(0, 149));
    expect(byteRange("bytes=100-199, 0-99", SIZE)).toEqual(partial(0, 199));
    expect(byteRange("bytes=0-9,2000-", SIZE)).toEqual(partial(0, 9));
    expect(byteRange("bytes=0-9,20-29", SIZE)).toEqual(whole);
  });
});
