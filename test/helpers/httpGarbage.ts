/**
 * Malformed HTTP/1.1 requests for a bounded campaign (test/integration/httpAttacks.test.ts): request lines,
 * targets, headers and WebSocket upgrades, each built from parts that are each wrong in a known way, in an
 * order fixed by a seed so a failure can be replayed.
 */
import { seededRandom } from "./udpAttacks.js";

export interface GarbageRequest {
  /** What it is, for a failure message. */
  readonly label: string;
  readonly bytes: Buffer;
  /** Reset the connection this long after sending, as a client that vanishes does. */
  readonly resetAfterMs?: number;
  /** Send in pieces this big (split request lines and headers). */
  readonly chunkBytes?: number;
}

const CRLF = "\r\n";

const METHODS = ["GET", "POST", "get", "G\0T", "", "GET GET", "PRI", "CONNECT", "M".repeat(300), "\u00ff\u00feGET"];

const TARGETS = [
  "http://[",
  "//[",
  "http://[::1/",
  "http://a b/ws",
  "http://:99999/ws",
  "/%zz",
  "/ws?%zz=%%%",
  "/api/rooms/%ff%fe",
  "/api/rooms/..%2f..%2fetc%2fpasswd",
  "*",
  "",
  "/ws\0",
  "/ws#frag",
  "ws://evil/ws",
  "https://[::ffff:1.2.3.4]:0/metrics",
  "/healthz?ready&ready&" + "a=".repeat(2000),
  "/" + "a".repeat(20_000),
  "/\u00e9\u00ff",
  "/metrics",
  "/ws",
];

const VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/9.9", "HTTP/1.1x", "", "HTTP/0.9", "http/1.1", "HTTP/1.1 extra"];

const HEADER_SETS: readonly (readonly string[])[] = [
  ["Host: 127.0.0.1"],
  ["Host: 127.0.0.1"],
  ["Host: 127.0.0.1"],
  [],
  ["Host: ["],
  ["Host: a", "Host: b"],
  ["Host: 127.0.0.1", "NoColonHere"],
  ["Host: 127.0.0.1", "X-Nul: a\0b"],
  ["Host: 127.0.0.1", "X-Folded: a", " folded continuation"],
  ["Host: 127.0.0.1", "Content-Length: -1"],
  ["Host: 127.0.0.1", "Content-Length: abc"],
  ["Host: 127.0.0.1", "Content-Length: 5", "Content-Length: 6"],
  ["Host: 127.0.0.1", "Content-Length: 3", "Transfer-Encoding: chunked"],
  ["Host: 127.0.0.1", "Transfer-Encoding: chunked"],
  ["Host: 127.0.0.1", "Transfer-Encoding: gzip, identity"],
  ["Host: 127.0.0.1", `X-Big: ${"b".repeat(20_000)}`],
  ["Host: 127.0.0.1", ...Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`)],
  ["Host: 127.0.0.1", "Expect: 100-continue", "Content-Length: 10"],
  ["Host: 127.0.0.1", "Content-Type: application/json", "Content-Length: 9", "Authorization: Bearer \u00ff"],
  ["Host: 127.0.0.1", "Forwarded: for=[", "X-Forwarded-For: ::::::"],
  ["Host: 127.0.0.1", ": empty-name"],
  ["Host: 127.0.0.1", "Origin: \u00ff\u0000"],
];

const UPGRADE_HEADER_SETS: readonly (readonly string[])[] = [
  ["Connection: Upgrade", "Upgrade: x"],
  ["Connection: Upgrade", "Upgrade: websocket"],
  ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="],
  ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 8", "Sec-WebSocket-Key: short"],
  [
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Origin: http://evil.example",
  ],
  [
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Origin: null",
    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99",
  ],
  [
    "Connection: Upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Protocol: ,,,",
  ],
  ["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: !!"],
  [
    "Connection: upgrade",
    "Upgrade: websocket",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Content-Length: 5",
  ],
];

// Bytes that may follow a request's head: a body, a WebSocket frame, more junk, nothing.
const TAILS = [
  "",
  "hello",
  "\x81\x85\x00\x00\x00\x00hello",
  "0\r\n\r\n",
  "zz\r\nnot a chunk\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  "\0".repeat(64),
];

/** `count` malformed requests from `seed`; about one in three is an upgrade, one in five is reset right after sending. */
export function garbageRequests(count: number, seed: number): GarbageRequest[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const out: GarbageRequest[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly a well-formed line around one bad part, so requests get past Node's parser to the listeners.
    const method = next() < 0.6 ? "GET" : pick(METHODS);
    const target = pick(TARGETS);
    const version = next() < 0.7 ? "HTTP/1.1" : pick(VERSIONS);
    const upgrade = next() < 0.35;
    const headers = [...pick(HEADER_SETS), ...(upgrade ? pick(UPGRADE_HEADER_SETS) : [])];
    const tail = pick(TAILS);
    // Some lines end in a bare LF, or never end: parsers differ most there.
    const eol = next() < 0.1 ? "\n" : CRLF;
    const head = [`${method} ${target} ${version}`.trimEnd(), ...headers].join(eol) + (next() < 0.05 ? "" : eol + eol);
    const label = `#${i} ${JSON.stringify(`${method} ${target.slice(0, 40)} ${version}`)}${upgrade ? " (upgrade)" : ""} headers=${headers.length}`;
    out.push({
      label,
      bytes: Buffer.from(head + tail, "latin1"),
      ...(next() < 0.2 ? { resetAfterMs: Math.floor(next() * 5) } : {}),
      ...(next() < 0.1 ? { chunkBytes: 1 + Math.floor(next() * 7) } : {}),
    });
  }
  return out;
}
