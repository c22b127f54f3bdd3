import { afterEach, describe, expect, it, vi } from "vitest";
import { BYE_REASONS } from "../protocol/byeReasons.js";
import { backoffDelay, DEFAULT_RETRY, Reconnection, RetryPolicy, worthRetrying } from "./reconnect.js";

describe("the page's retry policy", () => {
  it("waits exponentially longer, half fixed and half random, never past the cap", () => {
    const low = [0, 1, 2, 3, 4, 5, 10, 40].map((n) => backoffDelay(n, DEFAULT_RETRY, 0));
    const high = [0, 1, 2, 3, 4, 5, 10, 40].map((n) => backoffDelay(n, DEFAULT_RETRY, 0.999_999));
    expect(low).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
    expect(high.map(Math.round)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("spreads pages that lost the same server over the window instead of sending them back together", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const firstTries = Array.from({ length: 200 }, () => backoffDelay(0, DEFAULT_RETRY, random()));
    const spread = Math.max(...firstTries) - Math.min(...firstTries);
    expect(spread).toBeGreaterThan(400);
    expect(new Set(firstTries.map(Math.round)).size).toBeGreaterThan(150);
  });

  it("counts tries, starts over after reset, and gives up after giveUpAfterMs without getting back", () => {
    let now = 0;
    const policy = new RetryPolicy({ ...DEFAULT_RETRY, giveUpAfterMs: 60_000, random: () => 0, now: () => now });
    expect([policy.next(), policy.next(), policy.next()]).toEqual([500, 1000, 2000]);
    expect(policy.attempts).toBe(3);
    policy.reset();
    expect(policy.next()).toBe(500);
    now = 59_999;
    expect(policy.next()).toBe(1000);
    now = 60_000;
    expect(policy.next()).toBeNull();
    policy.reset();
    expect(policy.next()).toBe(500);
  });

  it("retries a stopping server, a failed room and a lost media connection; never a leave, a kick, a replacement or a refusal", () => {
    for (const code of ["server-shutdown", "room-failed", "ice-failed", "offer-timeout"] as const)
      expect(worthRetrying(code), code).toBe(true);
    // Every other ending, including codes added later (a refused token), is final.
    expect(BYE_REASONS.filter(worthRetrying).sort()).toEqual(["ice-failed", "offer-timeout", "room-failed", "server-shutdown"]);
    for (const reason of [
      "left",
      "kicked",
      "replaced",
      "room-closed",
      "room-full",
      "bad-join",
      "server-full",
      "too-many-connections",
    ] as const)
      expect(worthRetrying(reason), reason).toBe(false);
    expect(worthRetrying("rate-limited")).toBe(false);
  });
});

describe("a visit's way back", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it.each([
    ["never joined", false, false, { "server-shutdown": false, "room-failed": false, "ice-failed": false, kicked: false }],
    ["joined, media never up", true, false, { "server-shutdown": true, "room-failed": true, "ice-failed": false, kicked: false }],
    ["joined, media was up", true, true, { "server-shutdown": true, "room-failed": true, "ice-failed": true, kicked: false }],
  ] as const)("which endings are worth another try: %s", (_what, joined, connected, want) => {
    const r = new Reconnection({ reconnecting: false, reconnects: 0 });
    if (joined) r.joined();
    if (connected) r.connected();
    for (const [code, worth] of Object.entries(want)) expect(r.worth(code as keyof typeof want), code).toBe(worth);
  });

  it("tries again after the wait, counts a return once the media is up, and stops when told", () => {
    vi.useFakeTimers();
    vi.spyOn(console, "info").mockImplementation(() => {});
    const view = { reconnecting: false, reconnects: 0 };
    const r = new Reconnection(view, { ...DEFAULT_RETRY, random: () => 0, now: () => 0 });
    let tries = 0;
    expect(r.schedule("lost", () => tries++)).toBe(true);
    expect(view.reconnecting).toBe(true);
    vi.advanceTimersByTime(499);
    expect(tries).toBe(0);
    vi.advanceTimersByTime(1);
    expect(tries).toBe(1);
    r.connected();
    expect(view).toEqual({ reconnecting: false, reconnects: 1 });
    r.connected();
    expect(view.reconnects).toBe(1);
    r.schedule("lost again", () => tries++);
    r.stop();
    vi.advanceTimersByTime(60_000);
    expect(tries).toBe(1);
    expect(view.reconnecting).toBe(false);
  });
});
