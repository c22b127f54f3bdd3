import { describe, expect, it } from "vitest";
import { BLOCKED_RELOAD_WINDOW_MS, mayReloadFor, rejoinAddress, watchBlockedSocket } from "./redirect.js";

function memory() {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
}

/** What Chromium dispatches on the document when connect-src blocks a socket. */
function violation(blockedURI: string): Event {
  return Object.assign(new Event("securitypolicyviolation"), { blockedURI });
}

describe("a redirect the page's policy blocks", () => {
  it("is noticed for the redirect's host only, until the watch stops", () => {
    const target = new EventTarget();
    let blocked = 0;
    const stop = watchBlockedSocket(target, "wss://node-b.example.com/ws", () => blocked++);
    target.dispatchEvent(violation("wss://node-c.example.com/ws"));
    target.dispatchEvent(violation("inline"));
    expect(blocked).toBe(0);
    target.dispatchEvent(violation("wss://node-b.example.com/ws"));
    expect(blocked).toBe(1);
    stop();
    target.dispatchEvent(violation("wss://node-b.example.com/ws"));
    expect(blocked).toBe(1);
  });

  it("reloads the page once per node within the window, so a node never named ends in an error, not a loop", () => {
    const m = memory();
    expect(mayReloadFor("wss://node-b.example.com/ws", m, 1000)).toBe(true);
    expect(mayReloadFor("wss://node-b.example.com/ws", m, 1000 + BLOCKED_RELOAD_WINDOW_MS - 1)).toBe(false);
    expect(mayReloadFor("wss://node-c.example.com/ws", m, 2000)).toBe(true);
    expect(mayReloadFor("wss://node-b.example.com/ws", m, 1000 + BLOCKED_RELOAD_WINDOW_MS)).toBe(true);
  });

  it("comes back joining straight away: room, name, role, mode, token and the devices' state in the address", () => {
    const options = { room: "interview", name: "김민수", role: "sender" as const, mode: "sfu" as const, token: "t.o.k" };
    const address = new URL(
      rejoinAddress("https://tessera.example.com/?room=interview&lang=ko", options, { micMuted: true, cameraOff: false }),
    );
    expect(Object.fromEntries(address.searchParams)).toEqual({
      room: "interview",
      lang: "ko",
      name: "김민수",
      role: "sender",
      mode: "sfu",
      token: "t.o.k",
      mic: "off",
    });
    expect(address.origin + address.pathname).toBe("https://tessera.example.com/");
  });
});
