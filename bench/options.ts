/** `npm run bench` arguments, checked up front so a typo fails before minutes of measuring. */
export type Mode = "mcu" | "sfu" | "mesh";

export interface BenchOptions {
  readonly modes: readonly Mode[];
  readonly counts: readonly number[];
  readonly windowSeconds: number;
  readonly warmupSeconds: number;
  readonly rooms: number;
  /** Search for the most simultaneous MCU rooms of the largest N held at 30 fps with under 1 % dropped. */
  readonly capacity: boolean;
  readonly maxRooms: number;
  /** What the senders send; h264 senders offer H264 first and VP8 second, as Safari does. */
  readonly codec: "vp8" | "h264";
  /**
   * How many senders per room make sound. Set, every sender stamps its packets with its level (RFC 6464)
   * as browsers do, the first `talkers` send their tone and the rest digital silence marked silent, so the
   * MCU's skipping of silent inputs is exercised. Unset: every sender sends its tone and no level, as the
   * bench did before talkers-only audio, so old figures stay comparable.
   */
  readonly talkers: number | undefined;
  /**
   * MCU: the first K senders of each room take the mix in H264 (their offer lists H264 first, as Safari's
   * does), the others and the counting viewer in VP8, whatever the senders send. Undefined: each sender
   * offers its own codec first (so `--codec h264` senders all take H264).
   */
  readonly h264Receivers: number | undefined;
  /** MCU senders keep sending VGA whatever `tile` says (the old load), instead of switching to tile-sized clips. */
  readonly fullSizeSenders: boolean;
  /**
   * MCU: one extra receive-only viewer per room for each box given, which reports that box (CSS pixels, pixel
   * ratio 1, upright when taller than wide) in a `display` message, so the server sends it a smaller or
   * upright rendition: a receiver limited as a phone or a small window is.
   */
  readonly viewerBoxes: readonly ViewerBox[];
  /**
   * After the other rows: the MCU at the largest N again, once per rung of the ladder below the main one
   * (one extra viewer taking it), between two rows without, so each rung's cost is a difference measured
   * minutes apart rather than across runs.
   */
  readonly rungs: boolean;
  /** Skip the offline-floor job (it takes about as long as the window per MCU row). */
  readonly floor: boolean;
  readonly url: string | undefined;
  readonly outDir: string;
}

export interface ViewerBox {
  readonly width: number;
  readonly height: number;
}

export const usage = `npm run bench -- [--modes mcu,sfu,mesh] [--n 2,3,4,5,6] [--window 10] [--warmup 4]
                    [--rooms 1] [--capacity [--max-rooms 4]] [--codec vp8|h264] [--talkers K] [--h264-receivers K] [--full-size-senders] [--no-floor]
                    [--viewer-boxes 640x360,360x640] [--rungs]
                    [--url http://host:port] [--out bench/results]`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const known = new Set([
    "modes",
    "n",
    "window",
    "warmup",
    "rooms",
    "capacity",
    "max-rooms",
    "codec",
    "talkers",
    "h264-receivers",
    "full-size-senders",
    "no-floor",
    "url",
    "out",
    "help",
    "viewer-boxes",
    "rungs",
  ]);
  const flags = new Set(["capacity", "full-size-senders", "no-floor", "help", "rungs"]);
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    if (!argv[i].startsWith("--") || !known.has(name)) throw new Error(`unknown argument "${argv[i]}"\nusage: ${usage}`);
    if (flags.has(name)) values.set(name, "true");
    else if (argv[i + 1] === undefined) throw new Error(`--${name} needs a value\nusage: ${usage}`);
    else values.set(name, argv[++i]);
  }
  if (values.has("help")) throw new Error(`usage: ${usage}`);
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const raw = values.get(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name}: "${raw}" is not a number from ${min} to ${max}`);
    return n;
  };
  const wholeNumber = (name: string, min: number, max: number): number => {
    const n = number(name, min, min, max);
    if (!Number.isInteger(n)) throw new Error(`--${name}: "${values.get(name)}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const modes = (values.get("modes") ?? "mcu,sfu,mesh").split(",");
  for (const m of modes) if (!["mcu", "sfu", "mesh"].includes(m)) throw new Error(`--modes: unknown mode "${m}" (mcu, sfu, mesh)`);
  const counts = (values.get("n") ?? "2,3,4,5,6").split(",").map(Number);
  for (const n of counts) if (!Number.isInteger(n) || n < 1 || n > 6) throw new Error(`--n: ${n} is not a whole number from 1 to 6`);
  const codec = values.get("codec") ?? "vp8";
  if (codec !== "vp8" && codec !== "h264") throw new Error(`--codec: "${codec}" is not a codec the senders can send (vp8, h264)`);
  return {
    modes: modes as Mode[],
    counts,
    windowSeconds: number("window", 10, 1, 600),
    warmupSeconds: number("warmup", 4, 0, 120),
    rooms: number("rooms", 1, 1, 20),
    capacity: values.has("capacity"),
    maxRooms: number("max-rooms", 4, 1, 20),
    codec,
    talkers: values.has("talkers") ? wholeNumber("talkers", 0, 6) : undefined,
    h264Receivers: values.has("h264-receivers") ? wholeNumber("h264-receivers", 0, 6) : undefined,
    fullSizeSenders: values.has("full-size-senders"),
    viewerBoxes: parseBoxes(values.get("viewer-boxes")),
    rungs: values.has("rungs"),
    floor: !values.has("no-floor"),
    url: values.get("url"),
    outDir: values.get("out") ?? "bench/results",
  };
}

function parseBoxes(raw: string | undefined): ViewerBox[] {
  if (raw === undefined) return [];
  return raw.split(",").map((box) => {
    const m = /^(\d{1,5})x(\d{1,5})$/.exec(box);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1)
      throw new Error(`--viewer-boxes: "${box}" is not WIDTHxHEIGHT in CSS pixels (e.g. 640x360)`);
    return { width: Number(m[1]), height: Number(m[2]) };
  });
}
