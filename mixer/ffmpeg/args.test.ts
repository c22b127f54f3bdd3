import { describe, expect, it } from "vitest";
import { buildArgs, filterChain } from "./args.js";

describe("ffmpeg argument builder", () => {
  it("renders a filter chain with escaped values", () => {
    expect(
      filterChain([
        { name: "scale", args: { w: 426, h: 360, force_original_aspect_ratio: "increase" } },
        { name: "drawtext", args: { text: "a:b,c" } },
        { name: "null" },
      ]),
    ).toBe("scale=w=426:h=360:force_original_aspect_ratio=increase,drawtext=text=a\\:b\\,c,null");
  });

  it("orders input options before -i and output options before the url", () => {
    const args = buildArgs({
      inputs: [{ format: "ivf", url: "pipe:0", options: { probesize: 32, re: true, skip: false } }],
      output: {
        format: "rawvideo",
        url: "pipe:1",
        videoFilters: [{ name: "format", args: { pix_fmts: "yuv420p" } }],
        options: { vsync: "passthrough" },
      },
    });
    expect(args).toEqual([
      "-hide_banner",
      "-nostdin",
      "-loglevel",
      "error",
      "-probesize",
      "32",
      "-re",
      "-f",
      "ivf",
      "-i",
      "pipe:0",
      "-vf",
      "format=pix_fmts=yuv420p",
      "-vsync",
      "passthrough",
      "-f",
      "rawvideo",
      "pipe:1",
    ]);
  });
});
