import { ControlApi, type ApiRecording } from "../controlApi.js";
import type { RecordingPlan } from "./plan.js";
import type { ReportBuilder } from "./report.js";

const POLL_MS = 250;

/** Sleeps `ms`, waking early when `stopping()` turns true; resolves whether it did. */
async function sleepUnless(ms: number, stopping: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (stopping()) return true;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, until - Date.now())));
  }
  return stopping();
}

/**
 * Records `plan.room` through the control API while people come and go: start (retrying while the room
 * happens to be closed), stop after `forMs` (the room may have closed first, which finishes the recording
 * itself), check the finished file is listed as stopped, delete it. Again every `everyMs` if set.
 */
export async function recordingLoop(
  plan: RecordingPlan,
  api: ControlApi,
  report: ReportBuilder,
  stopping: () => boolean,
  log?: (line: string) => void,
): Promise<void> {
  if (await sleepUnless(plan.startAfterMs, stopping)) return;
  for (;;) {
    const cycleStart = Date.now();
    let id: string | undefined;
    while (!id && !stopping()) {
      const r = await api.startRecording(plan.room).catch((err: Error) => ({ status: 0, body: err.message }));
      if (r.status === 201) id = ControlApi.recording(r).id;
      else if (r.status === 404)
        await new Promise((res) => setTimeout(res, POLL_MS)); // the room is between occupants
      else return report.fail(`recording of ${plan.room}: start answered ${r.status} ${r.body.slice(0, 200)}`);
    }
    if (!id) return;
    report.recordingsStarted++;
    log?.(`recording ${id} of ${plan.room} started`);
    await sleepUnless(plan.forMs, stopping);
    const r = await api.stopRecording(plan.room).catch((err: Error) => ({ status: 0, body: err.message }));
    let stopReason = "stopped";
    if (r.status === 200) {
      const info = ControlApi.recording(r);
      report.recordingsStopped++;
      if (info.id !== id) report.fail(`recording of ${plan.room}: stop answered recording ${info.id}, not ${id}`);
      else if (!(info.bytes > 0)) report.fail(`recording ${id}: stopped after ${plan.forMs} ms with ${info.bytes} bytes`);
    } else if (r.status === 404 || r.status === 409) {
      // The room closed (and maybe reopened, unrecorded) while recording: closing finished the file.
      report.recordingsEndedWithRoom++;
      stopReason = "room closed";
    } else {
      report.fail(`recording ${id}: stop answered ${r.status} ${r.body.slice(0, 200)}`);
    }
    await checkFinishedAndDelete(api, id, stopReason, report);
    log?.(`recording ${id} finished and deleted`);
    if (plan.everyMs === undefined) return;
    if (await sleepUnless(Math.max(0, cycleStart + plan.everyMs - Date.now()), stopping)) return;
  }
}

/** The finished file is listed as stopped (closing may still be writing its end for a moment), then deleted. */
async function checkFinishedAndDelete(api: ControlApi, id: string, stopReason: string, report: ReportBuilder): Promise<void> {
  const deadline = Date.now() + 15_000;
  let listed: ApiRecording | undefined;
  for (;;) {
    listed = (await api.recordings().catch((err: Error) => report.fail(`GET /api/recordings: ${err.message}`)))?.find((x) => x.id === id);
    if ((listed?.stoppedAt && !listed.interrupted) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (!listed) return report.fail(`recording ${id} is not listed after it stopped`);
  if (!listed.stoppedAt || listed.interrupted)
    return report.fail(`recording ${id} is not listed as cleanly stopped 15 s after it ended: ${JSON.stringify(listed)}`);
  // A stop refused as "not being recorded" is only right if the room really closed: the timeline says why it ended.
  const lines = await api.timeline(id).catch((err: Error) => report.fail(err.message));
  const stop = lines?.at(-1);
  if (lines && (lines[0]?.kind !== "start" || stop?.kind !== "stop" || stop.reason !== stopReason)) {
    report.fail(`recording ${id}: timeline should run from start to a stop for "${stopReason}", ends ${JSON.stringify(stop)}`);
  }
  const deleted = await api.deleteRecording(id).catch((err: Error) => ({ status: 0, body: err.message }));
  if (deleted.status !== 204) report.fail(`DELETE recording ${id}: ${deleted.status} ${deleted.body.slice(0, 200)}`);
}
