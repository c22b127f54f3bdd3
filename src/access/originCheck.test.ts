import { describe, expect, it } from "vitest";
import { originAllowed } from "./originCheck.js";

const policy = { allowed: ["https://app.example.com"], publicUrl: "https://meet.example.com/tessera" };

describe("originAllowed", () => {
  it("lets in no-Origin clients, the server's own origin, loopback pages and the listed origins", () => {
    expect(originAllowed(undefined, "meet.example.com", policy)).toBe(true);
    expect(originAllowed("https://tessera.internal:8443", "tessera.internal:8443", policy)).toBe(true);
    expect(originAllowed("http://localhost:5173", "meet.example.com", policy)).toBe(true);
    expect(originAllowed("http://127.0.0.1:8080", "x", policy)).toBe(true);
    expect(originAllowed("http://[::1]:8080", "x", policy)).toBe(true);
    expect(originAllowed("https://meet.example.com", "10.0.0.5:8080", policy)).toBe(true);
    expect(originAllowed("https://app.example.com", "10.0.0.5:8080", policy)).toBe(true);
  });

  it("refuses other sites, look-alikes, null and non-web origins", () => {
    expect(originAllowed("https://evil.example", "meet.example.com", policy)).toBe(false);
    expect(originAllowed("https://meet.example.com.evil.example", "meet.example.com:443", policy)).toBe(false);
    expect(originAllowed("http://app.example.com", "x", policy)).toBe(false);
    expect(originAllowed("https://tessera.internal:8443", "tessera.internal:8080", policy)).toBe(false);
    expect(originAllowed("null", "x", policy)).toBe(false);
    expect(originAllowed("chrome-extension://abc", "x", policy)).toBe(false);
    expect(originAllowed("http://localhost.evil.example", "x", policy)).toBe(false);
  });
});
