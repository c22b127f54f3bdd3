import { Churn } from "./churn/driver.js";
import type { ChurnPlan } from "./churn/plan.js";
import type { ChurnReport } from "./churn/report.js";
import type { ControlApi } from "./controlApi.js";
import { settle, type Settled } from "./settle.js";

export interface Baseline {
  readonly warmUp: ChurnReport;
  readonly idle: Settled;
}

/**
 * One participant per room for a few seconds and a short recording, then the server's idle counts.
 * What the server opens lazily (the recordings directory, native codecs, the first ffmpeg spawn) is
 * then already open in the baseline, so only what churn leaves behind counts as a leak.
 */
export async function warmUpBaseline(
  plan: ChurnPlan,
  pid: number,
  api: ControlApi,
  settleMs: number,
  track: (churn: Churn) => void,
): Promise<Baseline> {
  const warm = new Churn({
    ...plan,
    rooms: plan.rooms.map((r) => ({ ...r, slots: 1 })),
    cycles: plan.rooms.length,
    durationMs: undefined,
    stayMs: [3000, 3500],
    kinds: ["sender"],
    recording: { room: plan.rooms[0].name, startAfterMs: 500, forMs: 1500 },
  });
  track(warm);
  const warmUp = await warm.run();
  return { warmUp, idle: await settle(pid, api, settleMs) };
}
