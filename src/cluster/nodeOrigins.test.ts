import { describe, expect, it } from "vitest";
import { NodeOrigins, ORIGIN_REREAD_MS } from "./nodeOrigins.js";

/** A directory whose answer and reachability the test sets, counting its reads; a clock the test moves. */
function setup(urls: string[] = []) {
  const directory = { urls, reads: 0, down: false };
  let now = 0;
  const origins = new NodeOrigins(
    async () => {
      directory.reads++;
      if (directory.down) throw new Error("redis lost");
      return directory.urls;
    },
    () => now,
  );
  return { directory, origins, advance: (ms: number) => (now += ms) };
}

describe("NodeOrigins", () => {
  it("keeps the origins of the NODE_URLs read, once each, and nothing that is not an http(s) origin", () => {
    const { origins } = setup();
    origins.update([
      "https://node-1.example.com",
      "https://node-1.example.com",
      "http://node-2.example.com:8080",
      "not a url",
      "ftp://x.example.com",
    ]);
    expect(origins.current()).toEqual(["https://node-1.example.com", "http://node-2.example.com:8080"]);
  });

  it.each([
    ["a live node's origin", "https://node-1.example.com", true],
    ["the same origin written with a default port", "https://node-1.example.com:443", true],
    ["another port of a node's host", "https://node-1.example.com:8443", false],
    ["another scheme", "http://node-1.example.com", false],
    ["a look-alike host", "https://node-1.example.com.evil.example", false],
    ["null (a sandboxed frame)", "null", false],
    ["garbage", "%%%", false],
  ])("answers %s: %s → %s", async (_what, origin, expected) => {
    const { origins } = setup(["https://node-1.example.com"]);
    origins.update(["https://node-1.example.com"]);
    expect(await origins.includes(origin)).toBe(expected);
  });

  it("reads the directory again on a miss, so a node registered since the last heartbeat is admitted at once", async () => {
    const { directory, origins, advance } = setup();
    origins.update(["https://node-1.example.com"]);
    advance(ORIGIN_REREAD_MS);
    directory.urls = ["https://node-1.example.com", "https://node-2.example.com"];
    expect(await origins.includes("https://node-2.example.com")).toBe(true);
    expect(directory.reads).toBe(1);
    // A hit costs nothing.
    expect(await origins.includes("https://node-2.example.com")).toBe(true);
    expect(directory.reads).toBe(1);
  });

  it("reads at most once per ORIGIN_REREAD_MS however many strangers knock, and once for several at the same time", async () => {
    const { directory, origins, advance } = setup(["https://node-1.example.com"]);
    origins.update(directory.urls);
    advance(ORIGIN_REREAD_MS);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => origins.includes(`https://stranger-${i}.example`)));
    expect(answers.every((a) => !a)).toBe(true);
    expect(directory.reads).toBe(1);
    for (let i = 0; i < 50; i++) await origins.includes("https://stranger.example");
    expect(directory.reads).toBe(1);
    advance(ORIGIN_REREAD_MS);
    await origins.includes("https://stranger.example");
    expect(directory.reads).toBe(2);
  });

  it("drops a node whose record is gone, and keeps the last view while the directory is unreachable", async () => {
    const { directory, origins, advance } = setup(["https://node-1.example.com"]);
    origins.update(["https://node-1.example.com", "https://node-2.example.com"]);
    origins.update(["https://node-1.example.com"]);
    expect(await origins.includes("https://node-2.example.com")).toBe(false);
    directory.down = true;
    advance(ORIGIN_REREAD_MS);
    expect(await origins.includes("https://node-1.example.com")).toBe(true);
    expect(await origins.includes("https://node-3.example.com")).toBe(false);
    expect(origins.current()).toEqual(["https://node-1.example.com"]);
  });
});
