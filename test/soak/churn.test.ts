import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Churn } from "../../soak/churn/driver.js";
import { defaultRooms, type ChurnPlan } from "../../soak/churn/plan.js";
import { describeReport, type ChurnReport } from "../../soak/churn/report.js";
import { ControlApi } from "../../soak/controlApi.js";
import { ServerMonitor } from "../../soak/monitor.js";
import { describeSample } from "../../soak/procProbe.js";
import { settle } from "../../soak/settle.js";
import { warmUpBaseline } from "../../soak/baseline.js";
import { killLeftovers, startSoakServer, type SoakServer } from "../../soak/serverProcess.js";
import { soakServerEnv } from "../../soak/serverEnv.js";

const TOKEN = "soak-test-token";
// `npm run soak` churns for as long as asked; in the suite, enough cycles for every path several times over.
const CYCLES = 60;
// Generous on a busy 2-core machine: the cycles normally take 35-60 s.
const CHURN_LIMIT_MS = 150_000;
// Rooms close, ffmpeg children are reaped and peers release their sockets asynchronously.
const SETTLE_MS = 30_000;

/**
 * Join/leave churn of real media clients against the server in a process of its own: the crashes (the
 * old Opus binding) and ghost participants (rejected offers holding ffmpeg children) must not come back.
 */
describe("join/leave churn against the server process", () => {
  const recordings = mkdtempSync(join(tmpdir(), "tessera-soak-"));
  let server: SoakServer | undefined;
  let monitor: ServerMonitor | undefined;
  const churns: Churn[] = [];

  afterAll(async () => {
    await Promise.all(churns.map((c) => c.abort()));
    monitor?.stop();
    await server?.stop(5000);
    // A server that crashed leaves its ffmpeg children orphaned: end them by the pids we saw.
    if (monitor) killLeftovers(monitor.leftoverChildren());
    rmSync(recordings, { recursive: true, force: true });
  });

  it(`survives ${CYCLES} join/leave cycles over 3 MCU rooms and an SFU room, and ends with no more ffmpeg children, fds or UDP sockets than it started with`, async () => {
    const started = performance.now();
    server = await startSoakServer({ token: TOKEN, env: soakServerEnv(recordings) });
    monitor = new ServerMonitor(server);
    monitor.start();
    const api = new ControlApi(server.url, TOKEN);
    const log = (line: string) => console.log(`[soak ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);
    const rooms = defaultRooms(3, true);
    const plan: ChurnPlan = {
      url: server.url,
      token: TOKEN,
      rooms,
      maxAlive: 7,
      stayMs: [300, 7000],
      mediaCheckMs: 3500,
      seed: 20261201,
      decodeVideo: true,
      log,
    };

    const { warmUp, idle: before } = await warmUpBaseline(plan, server.pid, api, SETTLE_MS, (c) => churns.push(c));
    expect(warmUp.failures, describeReport(warmUp)).toEqual([]);
    expect(before.ok, `idle after warm-up: waiting for ${before.waitingFor}`).toBe(true);
    log(`baseline: ${describeSample(before.sample)}`);

    const churn = new Churn({
      ...plan,
      cycles: CYCLES,
      durationMs: CHURN_LIMIT_MS,
      recording: { room: rooms[0].name, startAfterMs: 8000, forMs: 12_000 },
    });
    churns.push(churn);
    const progress = setInterval(
      () => monitor?.latest && log(`${JSON.stringify(churn.progress)} ${describeSample(monitor.latest)}`),
      10_000,
    );
    let report: ChurnReport;
    try {
      report = await churn.run();
    } finally {
      clearInterval(progress);
    }
    log(describeReport(report));
    const context = `${describeReport(report)}\nserver log (warnings and errors):\n${server.problems.slice(0, 40).join("\n")}`;

    // Up throughout: never exited, /healthz always answered.
    expect(server.exit, context).toBeUndefined();
    expect(monitor.healthFailures, context).toEqual([]);

    // Every cycle did what it should: joined, got media if it stayed, muted, left, and was gone from the room.
    // Soft, so that a failed cycle still lets the end state below be checked and reported in the same run.
    expect.soft(report.failures, context).toEqual([]);
    expect(report.cycles, `only ${report.cycles} cycles within ${CHURN_LIMIT_MS / 1000} s\n${context}`).toBeGreaterThanOrEqual(CYCLES);
    // Every path was taken at least once, so a pass means each of them was exercised.
    for (const [kind, n] of Object.entries(report.byKind)) expect(n, `${kind} cycles`).toBeGreaterThan(0);
    for (const [kind, n] of Object.entries(report.leaves)) expect(n, `leaves by ${kind}`).toBeGreaterThan(0);
    expect(report.mutes).toBeGreaterThan(0);
    expect(report.recordingsStarted, context).toBeGreaterThanOrEqual(1);
    // Enough participants stayed 3.5 s or more for "they received media" to mean something.
    expect(report.mediaChecked, context).toBeGreaterThanOrEqual(20);

    // Everyone has left: rooms closed, every ffmpeg child reaped, and nothing held open that was not
    // open at the baseline. Exactly the baseline counts, no tolerance: the baseline was taken idle after a
    // warm-up, so anything more is a handle a departed participant or closed room still holds.
    const after = await settle(server.pid, api, SETTLE_MS, before.sample);
    log(
      `after: ${describeSample(after.sample)}; peak ${JSON.stringify(monitor.peak)}; slowest /healthz ${monitor.slowestHealthMs.toFixed(0)} ms`,
    );
    expect(after.ok, `idle after churn: waiting for ${after.waitingFor}\n${context}`).toBe(true);
    expect(after.sample.ffmpegChildren).toEqual([]);
    expect(after.sample.fds).toBeLessThanOrEqual(before.sample.fds);
    expect(after.sample.udpSockets).toBeLessThanOrEqual(before.sample.udpSockets);
    expect(after.sample.children).toBeLessThanOrEqual(before.sample.children);

    // And it still stops cleanly.
    monitor.stop();
    expect(await server.stop(15_000)).toEqual({ code: 0, signal: null });
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }, 300_000);
});
