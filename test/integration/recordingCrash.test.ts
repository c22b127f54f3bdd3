import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveFfmpegPath } from "../../mixer/ffmpeg/ffmpegPath.js";
import { RecordingStore } from "../../src/recordings/recordingStore.js";
import { eventually } from "../helpers/eventually.js";
import { tonePower } from "../helpers/fixtures.js";
import { audioSamples, decodeFile, videoLuma } from "../helpers/mediaProbe.js";
import { TestClient } from "../helpers/testClient.js";

/** Direct children of `pid`, from /proc (the server's ffmpeg encoders and decoders). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

async function startServerProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; exited: Promise<void> }> {
  const port = 19000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", ICE_HOST_ADDRESSES: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child, exited };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  await exited;
  throw new Error("the server did not become healthy within 30 s");
}

describe("a recording whose server is killed", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // MP4 (RECORDING_FORMAT=mp4): fragments, each written whole, where WebM has clusters; checked with both ffmpeg builds.
  it.each(["webm", "mp4"] as const)(
    "%s plays up to within 2 s of a SIGKILL (AUTO_RECORD: recording starts with the first join)",
    async (format) => {
      const server = await startServerProcess({ RECORDINGS_DIR: dir, AUTO_RECORD: "true", RECORDING_FORMAT: format });
      const alice = new TestClient({ url: server.url, room: "crash", name: "Alice", colour: "red", toneHz: 440 });
      let killedAt: number;
      let startedAt: string;
      let id: string;
      try {
        await alice.connect();
        const rec = await alice.waitFor((m) => m.type === "recording" && m.recording !== null, 10_000);
        if (rec.type !== "recording" || !rec.recording) throw new Error("no recording message");
        ({ id, startedAt } = rec.recording);
        await new Promise((r) => setTimeout(r, 4000));
        const children = childrenOf(server.child.pid!);
        expect(children.length).toBeGreaterThan(0);
        server.child.kill("SIGKILL");
        killedAt = Date.now();
        await server.exited;
        // The server's ffmpeg children outlive it; they were started by this test's server, so end them by PID.
        for (const pid of children) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        await eventually(() => children.every((pid) => !childAlive(pid)), 5000, "the killed server's ffmpeg children are gone");
      } finally {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
        await alice.close();
      }

      const expected = (killedAt - Date.parse(startedAt)) / 1000;
      expect(expected).toBeGreaterThan(3.5);
      for (const ffmpeg of format === "mp4" ? [resolveFfmpegPath(), "/usr/bin/ffmpeg"] : [resolveFfmpegPath()]) {
        const report = await decodeFile(join(dir, `${id}.${format}`), ffmpeg);
        expect(report.hasVideo && report.hasAudio).toBe(true);
        console.log(
          `${format}: killed ${expected.toFixed(2)} s into the recording; ${ffmpeg} decodes the file to ${report.seconds.toFixed(2)} s`,
        );
        expect(report.seconds, `decoded ${report.seconds} s of ${expected} s`).toBeGreaterThan(expected - 2);
        expect(report.seconds).toBeLessThan(expected + 0.5);
      }

      // The timeline was written as it went: it has its start, and no stop; the store calls it interrupted.
      const lines = readFileSync(join(dir, `${id}.timeline.jsonl`), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { kind: string });
      expect(lines[0]).toMatchObject({ kind: "start", room: "crash" });
      expect(lines.some((l) => l.kind === "stop")).toBe(false);
      const info = await new RecordingStore(dir).get(id);
      expect(info).toMatchObject({ id, room: "crash", interrupted: true, format, file: `${id}.${format}` });
      expect(info?.stoppedAt).toBeUndefined();
    },
  );
});

describe("a recording whose server is stopped with SIGTERM", () => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-term-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // An MP4 is also rewritten with its classic index before the process exits (the shutdown waits for it).
  it.each(["webm", "mp4"] as const)("%s is finished on shutdown: stop line, duration, no ffmpeg left", async (format) => {
    const server = await startServerProcess({ RECORDINGS_DIR: dir, AUTO_RECORD: "1", RECORDING_FORMAT: format });
    const alice = new TestClient({ url: server.url, room: "term", name: "Alice", colour: "blue", toneHz: 660 });
    let id = "";
    let children: number[] = [];
    try {
      await alice.connect();
      const rec = await alice.waitFor((m) => m.type === "recording" && m.recording !== null, 10_000);
      if (rec.type === "recording" && rec.recording) id = rec.recording.id;
      await new Promise((r) => setTimeout(r, 2000));
      children = childrenOf(server.child.pid!);
      server.child.kill("SIGTERM");
      await server.exited;
    } finally {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
      await alice.close();
    }
    expect(server.child.exitCode).toBe(0);
    // An exited child may linger a moment as a zombie until it is reaped.
    await eventually(
      () => children.every((pid) => !childAlive(pid)),
      3000,
      `the server's children end with it: ${children.filter(childAlive).join(", ")}`,
    );
    const lines = readFileSync(join(dir, `${id}.timeline.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; reason?: string });
    expect(lines.at(-1)).toMatchObject({ kind: "stop", reason: "server-shutdown" });
    const report = await decodeFile(join(dir, `${id}.${format}`));
    expect(report.stderr).toMatch(/Duration: 00:00:0[1-4]\.\d\d/);
    // The end is not lost: the last second before the SIGTERM holds Alice's picture and her tone.
    const pcm = await audioSamples(join(dir, `${id}.${format}`));
    expect(tonePower(pcm.subarray(Math.max(0, pcm.length - 48_000)), 660), "the tone in the last second").toBeGreaterThan(1e5);
    const frames = (await videoLuma(join(dir, `${id}.${format}`))).filter((f) => f.t >= report.seconds - 1);
    expect(frames.length, "pictures in the last second").toBeGreaterThan(2);
    if (format === "mp4") {
      const head = readFileSync(join(dir, `${id}.mp4`));
      // Indexed: the moov (with every sample) comes before the one mdat; no fragments left.
      expect(head.toString("latin1")).not.toContain("moof");
      expect(readdirSync(dir).filter((n) => n.includes("indexing"))).toEqual([]);
    }
    expect(await new RecordingStore(dir).get(id)).toMatchObject({ room: "term", stoppedAt: expect.any(String) });
  });
});

function childAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
