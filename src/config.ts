import { z } from "zod";
import { logLevels, type LogLevel } from "./log.js";

const commaList = z
  .string()
  .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting, its environment variable and its default. The README's configuration table is this
 * schema written out; keep the two together.
 */
const envSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  MAX_SENDERS: int(1, 16).default(6),
  MAX_ROOMS: int(1, 10_000).default(20),
  MAX_CONNECTIONS_PER_ADDRESS: int(1, 100_000).default(20),
  CONNECT_TIMEOUT_MS: int(1000, 600_000).default(20_000),
  DEFAULT_MODE: z.enum(["mcu", "sfu", "mesh"]).default("mcu"),
  OUTPUT_WIDTH: int(160, 3840).refine((n) => n % 2 === 0, "must be even").default(1280),
  OUTPUT_HEIGHT: int(120, 2160).refine((n) => n % 2 === 0, "must be even").default(720),
  OUTPUT_FPS: int(1, 60).default(30),
  OUTPUT_VIDEO_BITRATE: int(100_000, 20_000_000).default(1_500_000),
  OUTPUT_AUDIO_BITRATE: int(16_000, 256_000).default(48_000),
  KEYFRAME_INTERVAL_MS: int(1000, 600_000).default(10_000),
  STALE_VIDEO_MS: int(100, 10_000).default(500),
  ICE_SERVERS: z.string().default(""),
  ICE_USERNAME: z.string().optional(),
  ICE_CREDENTIAL: z.string().optional(),
  ICE_HOST_ADDRESSES: z.string().default(""),
  ICE_PORT_MIN: int(1024, 65535).optional(),
  ICE_PORT_MAX: int(1024, 65535).optional(),
  FFMPEG_PATH: z.string().optional(),
  API_TOKEN: z.string().optional(),
  RECORDINGS_DIR: z.string().min(1).default("recordings"),
  RECORDINGS_MIN_FREE_MB: int(0, 10_000_000).default(256),
  AUTO_RECORD: z.enum(["true", "false", "1", "0", ""]).default("false"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
});

export interface IceServer {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly maxSenders: number;
  /** Live rooms on this node; a join that would create one more gets `server-full`. */
  readonly maxRooms: number;
  /** Open signaling sockets from one client address; the next gets `too-many-connections`. */
  readonly maxConnectionsPerAddress: number;
  /** From join until the media connection is up (offer made, ICE and DTLS done); past it the participant is removed. */
  readonly connectTimeoutMs: number;
  /** The mode of a room whose first joiner names none. */
  readonly defaultMode: "mcu" | "sfu" | "mesh";
  readonly output: { readonly width: number; readonly height: number; readonly fps: number; readonly videoBitrate: number; readonly audioBitrate: number };
  readonly keyframeIntervalMs: number;
  readonly staleVideoMs: number;
  /** Handed to clients as-is and used by the server's own ICE agent (werift uses the first STUN and first TURN URL). */
  readonly iceServers: readonly IceServer[];
  /** When non-empty, the only addresses the server offers as host candidates (tests: 127.0.0.1). */
  readonly iceHostAddresses: readonly string[];
  readonly icePortRange?: readonly [number, number];
  readonly ffmpegPath?: string;
  /** Bearer token for /api; when unset the control API answers 403. */
  readonly apiToken?: string;
  /** Where recordings and their timelines are written; created when the first recording starts. */
  readonly recordingsDir: string;
  /** A recording starts only with at least this much free where it is written (else `insufficient-storage`). */
  readonly recordingsMinFreeBytes: number;
  /** Record every MCU room from its first join. */
  readonly autoRecord: boolean;
  readonly logLevel: LogLevel;
  /** After SIGTERM, how long rooms get to close (recordings finished) before the rest is killed. */
  readonly shutdownGraceMs: number;
}

export class ConfigError extends Error {}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const urls = commaList.parse(e.ICE_SERVERS);
  for (const url of urls) {
    if (!/^(stun|stuns|turn|turns):/.test(url)) throw new ConfigError(`invalid configuration: ICE_SERVERS entry "${url}" is not a stun:, stuns:, turn: or turns: URL`);
  }
  const stun = urls.filter((u) => u.startsWith("stun"));
  const turn = urls.filter((u) => u.startsWith("turn"));
  const iceServers: IceServer[] = [];
  if (stun.length) iceServers.push({ urls: stun });
  if (turn.length) iceServers.push({ urls: turn, username: e.ICE_USERNAME, credential: e.ICE_CREDENTIAL });
  if ((e.ICE_PORT_MIN === undefined) !== (e.ICE_PORT_MAX === undefined)) {
    throw new ConfigError("invalid configuration: set both ICE_PORT_MIN and ICE_PORT_MAX, or neither");
  }
  if (e.ICE_PORT_MIN !== undefined && e.ICE_PORT_MAX !== undefined && e.ICE_PORT_MIN > e.ICE_PORT_MAX) {
    throw new ConfigError("invalid configuration: ICE_PORT_MIN is above ICE_PORT_MAX");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    maxSenders: e.MAX_SENDERS,
    maxRooms: e.MAX_ROOMS,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    connectTimeoutMs: e.CONNECT_TIMEOUT_MS,
    defaultMode: e.DEFAULT_MODE,
    output: { width: e.OUTPUT_WIDTH, height: e.OUTPUT_HEIGHT, fps: e.OUTPUT_FPS, videoBitrate: e.OUTPUT_VIDEO_BITRATE, audioBitrate: e.OUTPUT_AUDIO_BITRATE },
    keyframeIntervalMs: e.KEYFRAME_INTERVAL_MS,
    staleVideoMs: e.STALE_VIDEO_MS,
    iceServers,
    iceHostAddresses: commaList.parse(e.ICE_HOST_ADDRESSES),
    icePortRange: e.ICE_PORT_MIN !== undefined && e.ICE_PORT_MAX !== undefined ? [e.ICE_PORT_MIN, e.ICE_PORT_MAX] : undefined,
    ffmpegPath: e.FFMPEG_PATH,
    apiToken: e.API_TOKEN ? e.API_TOKEN : undefined,
    recordingsDir: e.RECORDINGS_DIR,
    recordingsMinFreeBytes: e.RECORDINGS_MIN_FREE_MB * 1024 * 1024,
    autoRecord: e.AUTO_RECORD === "true" || e.AUTO_RECORD === "1",
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

export const defaultConfig: Config = configFromEnv({});
