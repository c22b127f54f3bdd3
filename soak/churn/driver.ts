import { solidColourClip } from "../../test/helpers/fixtures.js";
import type { TestClient } from "../../test/helpers/testClient.js";
import { ControlApi } from "../controlApi.js";
import { checkDeparted } from "./departure.js";
import { mediaCycle } from "./mediaCycle.js";
import { abandonedOfferCycle, rejectedOfferCycle } from "./offerCycles.js";
import { cycleWeights, leaveWeights, type ChurnPlan, type ChurnRoom } from "./plan.js";
import { Presence } from "./presence.js";
import { Random } from "./random.js";
import { recordingLoop } from "./recordingLoop.js";
import { ReportBuilder, type ChurnReport } from "./report.js";

const COLOURS = ["red", "green", "blue", "yellow", "magenta", "cyan", "white", "orange"];
// A participant the server still lists this long after it left is a ghost, not a slow machine.
const DEPARTURE_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Join/leave churn against a running server: every room has `slots` participants coming and going
 * (each slot one at a time), never more than `maxAlive` at once in all, until the plan's cycle count
 * or duration is reached. Shared by the soak test and `npm run soak`.
 */
export class Churn {
  private readonly report: ReportBuilder;
  private readonly api: ControlApi;
  private readonly presence = new Presence();
  private readonly live = new Set<TestClient>();
  private readonly waiting: (() => void)[] = [];
  private startedAt = performance.now();
  private alive = 0;
  private started = 0;
  private stopped = false;
  private running: Promise<ChurnReport> | undefined;

  constructor(private readonly plan: ChurnPlan) {
    this.report = new ReportBuilder(plan.log);
    this.api = new ControlApi(plan.url, plan.token);
  }

  /** Cycles finished, participants alive now, failures so far: for progress lines. */
  get progress(): { cycles: number; alive: number; failures: number } {
    return { cycles: this.report.cycles, alive: this.alive, failures: this.report.failures.length };
  }

  run(): Promise<ChurnReport> {
    this.running ??= this.runAll();
    return this.running;
  }

  /** No new cycle starts; those under way finish (and leave) as planned. */
  stop(): void {
    this.stopped = true;
  }

  /** Stops, closes every live client now, and waits (bounded) for the cycles to wind down. */
  async abort(): Promise<void> {
    this.stop();
    await Promise.all([...this.live].map((c) => c.close().catch(() => undefined)));
    if (this.running) await Promise.race([this.running.catch(() => undefined), sleep(20_000)]);
  }

  private get exhausted(): boolean {
    const { cycles, durationMs } = this.plan;
    return (
      this.stopped ||
      (cycles !== undefined && this.started >= cycles) ||
      (durationMs !== undefined && performance.now() - this.startedAt >= durationMs)
    );
  }

  private async runAll(): Promise<ChurnReport> {
    // Encoded once per colour with a blocking ffmpeg call: do it before anyone's timers are running.
    for (const colour of COLOURS) solidColourClip(colour);
    this.startedAt = performance.now();
    const slots: Promise<void>[] = [];
    // Each slot's seed drawn from one generator: seeds a fixed step apart gave visibly correlated streams.
    const seeds = new Random(this.plan.seed);
    let index = 0;
    for (const room of this.plan.rooms) {
      for (let s = 0; s < room.slots; s++, index++) slots.push(this.slot(room, index, new Random(Math.floor(seeds.next() * 2 ** 32))));
    }
    const recording = this.plan.recording
      ? recordingLoop(this.plan.recording, this.api, this.report, () => this.exhausted, this.plan.log)
      : Promise.resolve();
    await Promise.all([...slots, recording]);
    return this.report.build();
  }

  private async slot(room: ChurnRoom, index: number, random: Random): Promise<void> {
    // Staggered, so the first joins do not all land in the same second.
    await sleep(index * 400);
    while (!this.exhausted) {
      await this.acquire();
      if (this.exhausted) {
        this.release();
        break;
      }
      const n = ++this.started;
      try {
        await this.cycle(room, n, random);
      } catch (err) {
        this.report.fail(`${room.name} cycle ${n}: ${(err as Error).stack ?? String(err)}`);
      } finally {
        this.release();
      }
      this.report.cycles++;
      // Sometimes long enough for a room with one slot left to close before its next joiner.
      await sleep(random.between(50, 900));
    }
  }

  private async cycle(room: ChurnRoom, n: number, random: Random): Promise<void> {
    const kind = random.pick(cycleWeights(room.mode, this.plan.kinds));
    const name = `${room.mode}-${n}`;
    this.report.byKind[kind]++;
    const target = { url: this.plan.url, room: room.name, mode: room.mode, name };
    if (kind === "rejected-offer" || kind === "abandoned-offer") {
      const failure = kind === "rejected-offer" ? await rejectedOfferCycle(target, random) : await abandonedOfferCycle(target);
      if (failure) this.report.fail(`${room.name}/${name} (${kind}): ${failure}`);
    } else {
      await mediaCycle({
        url: this.plan.url,
        api: this.api,
        room,
        name,
        role: kind,
        leave: random.pick(leaveWeights),
        stayMs: random.between(this.plan.stayMs[0], this.plan.stayMs[1]),
        mediaCheckMs: this.plan.mediaCheckMs,
        decodeVideo: this.plan.decodeVideo,
        colour: COLOURS[n % COLOURS.length],
        toneHz: 200 + (n % 20) * 50,
        random,
        presence: this.presence,
        report: this.report,
        live: this.live,
      });
    }
    const ghost = await checkDeparted(this.api, room.name, name, DEPARTURE_TIMEOUT_MS);
    if (ghost) this.report.fail(`${kind}: ${ghost}`);
  }

  private async acquire(): Promise<void> {
    while (this.alive >= this.plan.maxAlive) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.alive++;
    this.report.peakAlive = Math.max(this.report.peakAlive, this.alive);
  }

  private release(): void {
    this.alive--;
    this.waiting.shift()?.();
  }
}
