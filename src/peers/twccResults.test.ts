import { RtcpHeader, TransportWideCC } from "werift";
import { describe, expect, it } from "vitest";
import { twccResults } from "./twccResults.js";

/** A transport-cc feedback as a browser sends it, bytes after the RTCP header (RFC 4585 FCI included). */
function feedback(hex: string): TransportWideCC {
  const data = Buffer.from(hex.replace(/\s+/g, ""), "hex");
  return TransportWideCC.deSerialize(data, new RtcpHeader({ type: 205, count: 15, length: data.length / 4 }));
}

describe("twccResults", () => {
  const cases: { name: string; hex: string; expected: [number, number | undefined][] }[] = [
    {
      // base 100, 3 packets, reference 1 (64 ms); run-length chunk: 3 x small delta; deltas 4, 8, 1 (x 250 µs).
      name: "a run of received packets",
      hex: "00000001 00000002 0064 0003 000001 00  2003  04 08 01 00",
      expected: [
        [100, 65],
        [101, 67],
        [102, 67.25],
      ],
    },
    {
      // base 200, 5 packets; status vector, 2-bit symbols: small, lost, lost, large, small (+2 padding symbols);
      // deltas: 8 (2 ms), large 0x0100 (64 ms), 4 (1 ms).
      name: "a status vector of arrivals and losses, with a large delta",
      hex: "00000001 00000002 00c8 0005 000000 00  d090  08 0100 04 00 00 00",
      expected: [
        [200, 2],
        [201, undefined],
        [202, undefined],
        [203, 66],
        [204, 67],
      ],
    },
    {
      // base 65535 (wraps), 2 packets: run-length of 1 lost, then run-length of 1 received (small, 0).
      name: "sequence numbers wrap, and a later chunk continues from the earlier one",
      hex: "00000001 00000002 ffff 0002 000002 00  0001 2001  00 000000",
      expected: [
        [65535, undefined],
        [0, 128],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(twccResults(feedback(c.hex)).map((r) => [r.seq, r.arrivedAtMs])).toEqual(c.expected);
    });
  }
});
