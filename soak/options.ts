import type { CycleKind } from "./churn/plan.js";

const KINDS: readonly CycleKind[] = ["sender", "viewer", "rejected-offer", "abandoned-offer"];

/** `npm run soak` arguments, checked before anything starts so a typo fails at once, not after a warm-up. */
export interface SoakOptions {
  readonly minutes: number;
  /** MCU rooms (3, 2, 1, 3, ... slots each). */
  readonly rooms: number;
  /** Most participants alive at once, over all rooms. */
  readonly clients: number;
  readonly sfu: boolean;
  readonly seed: number;
  /** Only these kinds of cycle, to tell which path a leak or crash comes from; all when absent. */
  readonly kinds?: readonly CycleKind[];
}

export const usage = `npm run soak -- [--minutes 30] [--rooms 3] [--clients 7] [--no-sfu] [--seed N] [--kinds a,b]
  --minutes  how long the churn runs, the first minute being the warm-up the RSS growth is measured from (2-1440)
  --rooms    MCU rooms (1-6); an SFU room of 2 comes on top unless --no-sfu
  --clients  most participants alive at once over all rooms (2-24; each MCU sender costs an ffmpeg decoder)
  --seed     seed of the participants' choices (default: from the clock, printed)
  --kinds    only these cycles, to isolate a path: ${KINDS.join(", ")} (default: all)`;

export class OptionsError extends Error {}

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const valued = new Set(["minutes", "rooms", "clients", "seed", "kinds"]);
  const flags = new Set(["no-sfu", "help"]);
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith("--") ? arg.slice(2) : "";
    if (flags.has(name)) values.set(name, "");
    else if (valued.has(name)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new OptionsError(`--${name} needs a value`);
      values.set(name, value);
      i++;
    } else throw new OptionsError(`unknown argument "${arg}"`);
  }
  if (values.has("help")) throw new OptionsError("");
  const number = (name: string, fallback: number, min: number, max: number, integer: boolean): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new OptionsError(`--${name}: "${raw}" is not ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
    }
    return n;
  };
  const kinds = values.get("kinds")?.split(",");
  for (const k of kinds ?? [])
    if (!KINDS.includes(k as CycleKind)) throw new OptionsError(`--kinds: unknown kind "${k}" (${KINDS.join(", ")})`);
  if (kinds && !kinds.some((k) => k === "sender" || k === "viewer"))
    throw new OptionsError("--kinds: include sender or viewer: without media participants there is nothing to soak");
  return {
    ...(kinds ? { kinds: kinds as CycleKind[] } : {}),
    minutes: number("minutes", 30, 2, 1440, false),
    rooms: number("rooms", 3, 1, 6, true),
    clients: number("clients", 7, 2, 24, true),
    sfu: !values.has("no-sfu"),
    seed: number("seed", Date.now() % 2 ** 31, 0, 2 ** 31 - 1, true),
  };
}
