import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rateLimiter.js";

describe("RateLimiter", () => {
  it("lets a burst through, then the steady rate", () => {
    const limiter = new RateLimiter(10, 5, 0);
    const passed = Array.from({ length: 8 }, () => limiter.take(0)).filter(Boolean).length;
    expect(passed).toBe(5);
    expect(limiter.take(50)).toBe(false);
    expect(limiter.take(100)).toBe(true);
    expect(limiter.take(100)).toBe(false);
  });

  it("never saves up more than the burst", () => {
    const limiter = new RateLimiter(10, 5, 0);
    const passed = Array.from({ length: 20 }, () => limiter.take(60_000)).filter(Boolean).length;
    expect(passed).toBe(5);
  });
});
