import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Row } from "../../bench/measureMode.js";

/**
 * The real `npm run bench`, small: one MCU room of five senders for a few seconds (five, so the tiles are
 * small enough that senders obeying `tile` send less than VGA, as browsers do), one of whom takes the mix
 * in H264 as Safari would, so the room runs both encoders, and one viewer limited to a 640x360 box, so it
 * runs the 640x360 rendition too.
 */
describe("npm run bench (smoke)", () => {
  const out = mkdtempSync(join(tmpdir(), "tessera-bench-smoke-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes the table, JSON and chart with every figure present and plausible", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/run.ts",
        "--modes",
        "mcu",
        "--n",
        "5",
        "--window",
        "4",
        "--warmup",
        "2",
        "--h264-receivers",
        "1",
        "--viewer-boxes",
        "640x360",
        "--out",
        out,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code, stderr.slice(-2000)).toBe(0);

    expect(stdout).toMatch(
      /^\| mode \| N \| rooms \| server CPU \(cores\) \| main thread \/ room \(cores\) \| media workers \/ room \(cores\) \| load generator CPU/m,
    );
    expect(stdout).toMatch(/^\| mcu \| 5 \| 1 \|/m);
    for (const file of ["latest.json", "bench.svg"]) expect(existsSync(join(out, file)), file).toBe(true);
    expect(readFileSync(join(out, "bench.svg"), "utf8")).toContain("<svg");

    const result = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")) as { rows: Row[] };
    expect(result.rows).toHaveLength(1);
    const row = result.rows[0];
    expect(row.serverCpuCores).toBeGreaterThan(0);
    // Without MEDIA_WORKERS the room's JavaScript is on the server's main thread, read apart from the rest.
    expect(row.mainThreadCoresPerRoom).toBeGreaterThan(0);
    expect(row.mainThreadCoresPerRoom).toBeLessThanOrEqual(row.serverCpuCores! + 0.01);
    // The werift clients run in the bench's own process: they cost something, and it is not the server's.
    expect(row.loadGeneratorCpuCores).toBeGreaterThan(0);
    // The first sender got the mix as H264 (the viewer counting frames, and the other senders, as VP8).
    expect(row.h264Receivers).toBe(1);
    expect(row.peakRssMB).toBeGreaterThan(0);
    expect(row.downStreams).toBe(1);
    expect(row.downKbps).toBeGreaterThan(100);
    expect(row.upKbps).toBeGreaterThan(100);
    expect(row.outputFps).toBeGreaterThan(24);
    expect(row.outputFps).toBeLessThan(36);
    // Latency decoded from the senders' pixels: present, positive, and not absurd.
    expect(row.latencySamples).toBeGreaterThan(20);
    expect(row.latencyP50Ms).toBeGreaterThan(0);
    expect(row.latencyP95Ms).toBeGreaterThanOrEqual(row.latencyP50Ms!);
    expect(row.latencyP95Ms).toBeLessThan(2000);
    expect(row.floorCores).toBeGreaterThan(0);
    expect(row.floorRatio).toBeGreaterThan(0);
    // 426x360 tiles: each sender switched to its 480x360 clip, as a browser capturing VGA scales down.
    expect(row.tileSizedSenders).toBe(5);
    // The viewer limited to a 640x360 box was sent the 640x360 rendition.
    expect(row.viewerBoxes).toEqual(["640x360"]);
    expect(row.renditionsReceived).toEqual(["640x360"]);
  }, 120_000);
});
