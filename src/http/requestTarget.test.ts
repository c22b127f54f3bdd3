import { describe, expect, it } from "vitest";
import { requestPath } from "./requestTarget.js";

describe("requestPath", () => {
  it.each([
    ["/ws", "/ws"],
    ["/ws?room=a", "/ws"],
    ["http://example.com/metrics", "/metrics"],
    ["*", "/*"],
    ["/%zz", "/%zz"],
    ["http://[", undefined],
    ["//[", undefined],
    ["http://[::1/", undefined],
    ["http://a b/", undefined],
    ["http://:99999/", undefined],
    [undefined, undefined],
  ])("%j has path %j", (target, path) => {
    expect(requestPath(target)).toBe(path);
  });
});
