import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../helpers/freePort.js";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { eventually } from "../helpers/eventually.js";
import { TestClient } from "../helpers/testClient.js";
import { readServerMessage } from "../helpers/serverMessage.js";

/** Live children of `parent` named `comm`, from /proc (zombies count as gone: they no longer run). */
function childrenOf(parent: number, comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (name === comm && Number(ppid) === parent && state !== "Z") pids.push(Number(entry));
    } catch {
      /* gone while listing */
    }
  }
  return pids;
}

function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

interface Spawned {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

describe("SIGTERM on the real server process", () => {
  const servers: ChildProcess[] = [];
  const clients: TestClient[] = [];
  const sockets: WebSocket[] = [];

  afterAll(async () => {
    sockets.forEach((s) => s.terminate());
    await Promise.all(clients.map((c) => c.close()));
    // Only if a test failed before its server exited: never leave one behind (ended by its own PID).
    for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  /** The server as its own process, from sources (`npm start` runs the same src/main.ts bundled), on loopback, with JSON logs captured from stderr. */
  async function spawnServer(env: Record<string, string> = {}): Promise<Spawned> {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        ICE_HOST_ADDRESSES: "127.0.0.1",
        LOG_LEVEL: "info",
        API_TOKEN: "",
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    servers.push(child);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
    );
    const url = `http://127.0.0.1:${port}`;
    await eventually(() => stderr.includes('"msg":"listening"'), 30_000, `the server to listen; stderr: ${stderr}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    return { child, url, stderr: () => stderr, exited };
  }

  it("says bye to every client, stops every ffmpeg child and exits 0", async () => {
    const { child, url, stderr: log, exited } = await spawnServer();

    const ada = new TestClient({ url, room: "closing", name: "Ada", colour: "red", toneHz: 440 });
    clients.push(ada);
    await ada.connect();
    await eventually(() => ada.decoder.framesDecoded > 5, 10_000, "Ada to see the mix");
    // A socket that never joined a room is told too.
    const idle = new WebSocket(`${url.replace(/^http/, "ws")}/ws`);
    sockets.push(idle);
    const idleMessages: ServerMessage[] = [];
    idle.on("message", (d) => idleMessages.push(readServerMessage(d)));
    const idleClosed = new Promise<number>((resolve) => idle.once("close", (code) => resolve(code)));
    await new Promise((resolve, reject) => (idle.once("open", resolve), idle.once("error", reject)));

    const ffmpegs = childrenOf(child.pid!, "ffmpeg");
    // Ada's decoder at least (the mix's encoder runs inside the server, through node-av).
    expect(ffmpegs.length).toBeGreaterThanOrEqual(1);

    const sentAt = performance.now();
    child.kill("SIGTERM");
    const exit = await exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sentAt).toBeLessThan(12_000);

    expect(ada.messages).toContainEqual({ type: "error", code: "server-shutdown", message: expect.any(String) });
    expect(ada.messages).toContainEqual({ type: "bye", reason: "server-shutdown" });
    expect(idleMessages).toContainEqual({ type: "bye", reason: "server-shutdown" });
    expect(await idleClosed).toBe(1000);
    for (const pid of ffmpegs) expect(running(pid), `ffmpeg ${pid} still running`).toBe(false);

    // Not a TTY: every log line is JSON, and the room's lines carry its name and the participant's id.
    const lines = log()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === "participant joined")).toMatchObject({ level: "info", room: "closing", participant: ada.id });
    expect(lines.find((l) => l.msg === "stopping")).toMatchObject({ signal: "SIGTERM" });
    expect(lines.at(-1)).toMatchObject({ msg: "stopped" });
  });

  it("treats a signal repeated at once as the same request (npm forwards the terminal's Ctrl-C): still a clean exit", async () => {
    const { child, url, exited } = await spawnServer();
    const bea = new TestClient({ url, room: "twice", name: "Bea", colour: "blue" });
    clients.push(bea);
    await bea.connect();
    await eventually(
      () => childrenOf(child.pid!, "ffmpeg").length >= 1,
      10_000,
      "the room's ffmpeg child (the decoder; the encoder is in process)",
    );
    // Two different signals back to back, so the kernel cannot merge them into one.
    child.kill("SIGINT");
    child.kill("SIGTERM");
    expect(await exited).toMatchObject({ code: 0, signal: null });
    expect(bea.messages).toContainEqual({ type: "bye", reason: "server-shutdown" });
  });

  it("forces the exit when closing outlasts SHUTDOWN_GRACE_MS: kills every ffmpeg child and exits 1", async () => {
    const { child, url, stderr: log, exited } = await spawnServer({ SHUTDOWN_GRACE_MS: "300" });
    const cy = new TestClient({ url, room: "slow", name: "Cy", colour: "yellow" });
    clients.push(cy);
    await cy.connect();
    await eventually(
      () => childrenOf(child.pid!, "ffmpeg").length >= 1,
      10_000,
      "the room's ffmpeg child (the decoder; the encoder is in process)",
    );
    const ffmpegs = childrenOf(child.pid!, "ffmpeg");
    // A client that never answers the WebSocket close handshake holds the shutdown for a second.
    const mute = await silentWebSocket(url);
    const sentAt = performance.now();
    child.kill("SIGTERM");
    const exit = await exited;
    mute.destroy();
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.at - sentAt).toBeLessThan(5000);
    expect(log()).toContain("shutdown did not finish within 300 ms; killing what is left");
    for (const pid of ffmpegs) expect(running(pid), `ffmpeg ${pid} still running`).toBe(false);
  });
});

/** A WebSocket client that completes the opening handshake and then ignores everything, close frames included. */
async function silentWebSocket(url: string): Promise<Socket> {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve, reject) => (socket.once("connect", resolve), socket.once("error", reject)));
  socket.on("error", () => undefined);
  socket.write(
    [
      "GET /ws HTTP/1.1",
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      "",
      "",
    ].join("\r\n"),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("data", (d: Buffer) => (d.toString().startsWith("HTTP/1.1 101") ? resolve() : reject(new Error(d.toString()))));
  });
  return socket;
}
