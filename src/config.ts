import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { VIDEO_DECODER_KINDS, type VideoDecoderKind } from "../mixer/video/participantDecoder.js";
import { recordingFormats, type RecordingFormat } from "../protocol/recordingFormat.js";
import { logLevels, type LogLevel } from "./log.js";

const commaList = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);
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
  RECONNECT_GRACE_MS: int(0, 600_000).default(15_000),
  DEFAULT_MODE: z.enum(["mcu", "sfu", "mesh"]).default("mcu"),
  OUTPUT_WIDTH: int(160, 3840)
    .refine((n) => n % 2 === 0, "must be even")
    .default(1280),
  OUTPUT_HEIGHT: int(120, 2160)
    .refine((n) => n % 2 === 0, "must be even")
    .default(720),
  OUTPUT_FPS: int(1, 60).default(30),
  OUTPUT_VIDEO_BITRATE: int(100_000, 20_000_000).default(1_500_000),
  OUTPUT_AUDIO_BITRATE: int(16_000, 256_000).default(48_000),
  KEYFRAME_INTERVAL_MS: int(1000, 600_000).default(10_000),
  STALE_VIDEO_MS: int(100, 10_000).default(500),
  SCREEN_SHARE_POLICY: z.enum(["refuse", "takeover"]).default("refuse"),
  ICE_SERVERS: z.string().default(""),
  ICE_USERNAME: z.string().optional(),
  ICE_CREDENTIAL: z.string().optional(),
  ICE_HOST_ADDRESSES: z.string().default(""),
  ICE_PORT_MIN: int(1024, 65535).optional(),
  ICE_PORT_MAX: int(1024, 65535).optional(),
  FFMPEG_PATH: z.string().optional(),
  VIDEO_DECODER: z.enum(VIDEO_DECODER_KINDS as [VideoDecoderKind, ...VideoDecoderKind[]]).optional(),
  LABEL_FONT: z.string().optional(),
  API_TOKEN: z.string().optional(),
  RECORDINGS_DIR: z.string().min(1).default("recordings"),
  RECORDINGS_MIN_FREE_MB: int(0, 10_000_000).default(256),
  AUTO_RECORD: z.enum(["true", "false", "1", "0", ""]).default("false"),
  RECORDING_FORMAT: z.enum(recordingFormats).default("webm"),
  RECORDING_VOICES: z.enum(["true", "false", "1", "0", ""]).default("false"),
  RECORDINGS_S3_BUCKET: z.string().default(""),
  RECORDINGS_S3_ENDPOINT: z.string().default(""),
  RECORDINGS_S3_REGION: z.string().default(""),
  RECORDINGS_S3_PATH_STYLE: z.enum(["true", "false", "1", "0", ""]).default("false"),
  RECORDINGS_S3_PREFIX: z
    .string()
    .max(512)
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    .regex(/^[^\\\u0000-\u001f]*$/, "must hold no backslash or control character")
    .default(""),
  RECORDINGS_S3_KEEP_LOCAL: z.enum(["true", "false", "1", "0", ""]).default("false"),
  RECORDINGS_S3_PART_SIZE_MB: int(5, 5120).default(8),
  RECORDINGS_S3_RETRY_FOR_S: int(10, 30 * 24 * 3600).default(24 * 3600),
  AWS_REGION: z.string().optional(),
  WEBHOOK_URL: z.string().default(""),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(5000),
  WEBHOOK_RETRY_FOR_S: int(1, 7 * 24 * 3600).default(600),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  REDIS_URL: z.string().optional(),
  NODE_URL: z.string().optional(),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 . _ -")
    .optional(),
  NODE_CPU_CORES: z.coerce.number().min(0.1).max(1024).optional(),
  MEDIA_WORKERS: int(0, 256).default(0),
  JOIN_TOKEN_SECRET: z.string().optional(),
  PUBLIC_URL: z.string().optional(),
  TURN_SECRET: z.string().optional(),
  TURN_CREDENTIAL_TTL_S: int(60, 7 * 24 * 3600).default(21_600),
  LINK_SECRET: z.string().optional(),
  RECORDING_LINK_TTL_S: int(10, 7 * 24 * 3600).default(3600),
  ALLOWED_ORIGINS: z.string().default(""),
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
});

/** Several nodes sharing one Redis (docs/scaling.md); absent, the server is the only node. */
export interface ClusterConfig {
  /** redis:// or rediss:// URL of the room directory. */
  readonly redisUrl: string;
  /** How clients and the other nodes reach this node: its http(s) origin, e.g. https://node-3.example.com. */
  readonly nodeUrl: string;
  /** This node's name in Redis; unique per running process. */
  readonly nodeId: string;
}

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
  /**
   * How long an MCU or SFU participant whose socket dropped (without `leave`) keeps their place (id, tile)
   * for a `join` with their resume key; 0 removes them at once.
   */
  readonly reconnectGraceMs: number;
  /** The mode of a room whose first joiner names none. */
  readonly defaultMode: "mcu" | "sfu" | "mesh";
  readonly output: {
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    readonly videoBitrate: number;
    readonly audioBitrate: number;
  };
  readonly keyframeIntervalMs: number;
  readonly staleVideoMs: number;
  /** A second screen share in a room while one runs: `refuse` it (screen-busy), or let it `takeover` (the first one stops). */
  readonly screenSharePolicy: "refuse" | "takeover";
  /** Handed to clients as-is and used by the server's own ICE agent (werift uses the first STUN and first TURN URL). */
  readonly iceServers: readonly IceServer[];
  /** When non-empty, the only addresses the server offers as host candidates (tests: 127.0.0.1). */
  readonly iceHostAddresses: readonly string[];
  readonly icePortRange?: readonly [number, number];
  readonly ffmpegPath?: string;
  /**
   * VIDEO_DECODER: where MCU rooms decode participants' video. `ffmpeg` (default): one ffmpeg child per
   * participant, so a crash inside FFmpeg ends that child and the tile comes back, nothing more. `inprocess`:
   * FFmpeg's decoders in this process through node-av, about half the CPU (docs/performance.md), but a crash
   * inside FFmpeg would end the server (docs/decisions.md, "Decoding in process"). Unset: resolveVideoDecoder.
   */
  readonly videoDecoder?: VideoDecoderKind;
  /**
   * LABEL_FONT as set: font families and/or absolute paths of font files or directories, comma-separated,
   * that names are drawn with in the composite (mixer/video/labelFont.ts). Unset: Debian's Noto fonts.
   */
  readonly labelFont?: string;
  /** The installed families labelFont resolves to, filled in at start-up (startServer); empty: the bitmap fallback. */
  readonly labelFamilies?: readonly string[];
  /** Bearer token for /api; when unset the control API answers 403. */
  readonly apiToken?: string;
  /** Where recordings and their timelines are written; created when the first recording starts. */
  readonly recordingsDir: string;
  /** A recording starts only with at least this much free where it is written (else `insufficient-storage`). */
  readonly recordingsMinFreeBytes: number;
  /** Record every MCU room from its first join. */
  readonly autoRecord: boolean;
  /** Event notifications to the operator's backend (docs/webhooks.md); absent without WEBHOOK_URL. */
  readonly webhooks?: WebhookConfig;
  /** Finished recordings go to S3-compatible storage (docs/recording.md#storage); absent without RECORDINGS_S3_BUCKET. */
  readonly recordingsS3?: RecordingsS3Config;
  /** The container of AUTO_RECORD's recordings and of a start that names none (webm: VP8 + Opus, mp4: H264 + Opus). */
  readonly recordingFormat: RecordingFormat;
  /** Each participant's voice in a file of its own as well, unless a start says otherwise. */
  readonly recordingVoices: boolean;
  readonly logLevel: LogLevel;
  /** After SIGTERM, how long rooms get to close (recordings finished) before the rest is killed. */
  readonly shutdownGraceMs: number;
  /** CPU cores this node may use: the "allowed" side of its reported CPU load (default: the cores Node sees). */
  readonly nodeCpuCores: number;
  /**
   * Child processes that run the media of MCU and SFU rooms (their peers, mixer, encoders and recording),
   * each new room on the least-loaded one; 0 runs every room in the server's own process.
   */
  readonly mediaWorkers: number;
  /** Set with REDIS_URL: this node is one of several (docs/scaling.md). */
  readonly cluster?: ClusterConfig;
  /** HS256 secret of join tokens; when set every join needs one (src/access/joinToken.ts), else anyone may join. */
  readonly joinTokenSecret?: string;
  /** The address users open (https://meet.example.com): join links and signed recording links start with it. */
  readonly publicUrl?: string;
  /** coturn's static-auth-secret: each participant gets their own expiring TURN username and credential. */
  readonly turnSecret?: string;
  /** How long a TURN REST credential stays valid, in seconds. */
  readonly turnCredentialTtlS: number;
  /** HMAC key of signed recording links; when unset a random one is made at start (links die with the process). */
  readonly linkSecret?: string;
  /** How long a signed recording link stays valid, in seconds. */
  readonly recordingLinkTtlS: number;
  /** Origins a browser page may open /ws from, besides the server's own and loopback ones (exact `scheme://host[:port]`). */
  readonly allowedOrigins: readonly string[];
  /** When set, /metrics is served on its own listener on this port (and not on the main one). */
  readonly metricsPort?: number;
  /** Address the metrics listener binds (loopback by default). */
  readonly metricsHost: string;
}

export class ConfigError extends Error {}

/**
 * Where finished recordings are uploaded (RECORDINGS_S3_*). Credentials are not here: the AWS SDK's
 * default chain finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity, an
 * instance or container role).
 */
export interface RecordingsS3Config {
  /** The bucket (RECORDINGS_S3_BUCKET); it must exist, the server does not create it. */
  readonly bucket: string;
  /** An S3-compatible service's URL (MinIO: http://minio:9000); absent: AWS S3 of `region`. Presigned links name it, so users must reach it. */
  readonly endpoint?: string;
  /** The SigV4 signing region (RECORDINGS_S3_REGION, else AWS_REGION, else us-east-1). */
  readonly region: string;
  /** `endpoint/bucket/key` URLs instead of `bucket.endpoint/key` (MinIO and most self-hosted stores need it). */
  readonly pathStyle: boolean;
  /** Put before each file name to make its object key (`recordings/` gives `recordings/<id>.mp4`). */
  readonly prefix: string;
  /** Keep the local files after a verified upload (links then stream from disk); default: they are deleted. */
  readonly keepLocal: boolean;
  /** Multipart part size in bytes (at least 5 MiB, S3's minimum for every part but the last). */
  readonly partSizeBytes: number;
  /** How long a recording's upload is retried (across outages, from its first attempt in this process) before it is given up. */
  readonly retryForMs: number;
}

function recordingsS3Config(e: z.infer<typeof envSchema>): RecordingsS3Config | undefined {
  const bucket = e.RECORDINGS_S3_BUCKET.trim();
  if (!bucket) {
    if (e.RECORDINGS_S3_ENDPOINT)
      throw new ConfigError("invalid configuration: RECORDINGS_S3_ENDPOINT is set but RECORDINGS_S3_BUCKET is not; uploads need a bucket");
    return undefined;
  }
  // S3's bucket naming rules (dots allowed, as MinIO and AWS do); a wrong name is named here, not as a 400 at the first upload.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new ConfigError(
      `invalid configuration: RECORDINGS_S3_BUCKET "${bucket.slice(0, 80)}" is not a bucket name (3-63 characters: a-z 0-9 . -)`,
    );
  let endpoint: string | undefined;
  if (e.RECORDINGS_S3_ENDPOINT) {
    let url: URL | undefined;
    try {
      url = new URL(e.RECORDINGS_S3_ENDPOINT);
    } catch {
      // named below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username)
      throw new ConfigError(
        `invalid configuration: RECORDINGS_S3_ENDPOINT "${e.RECORDINGS_S3_ENDPOINT.slice(0, 200)}" must be an http:// or https:// URL such as http://minio:9000`,
      );
    endpoint = e.RECORDINGS_S3_ENDPOINT.replace(/\/+$/, "");
  }
  const flag = (v: string) => v === "true" || v === "1";
  return {
    bucket,
    endpoint,
    region: e.RECORDINGS_S3_REGION || e.AWS_REGION || "us-east-1",
    pathStyle: flag(e.RECORDINGS_S3_PATH_STYLE),
    prefix: e.RECORDINGS_S3_PREFIX.replace(/^\/+/, ""),
    keepLocal: flag(e.RECORDINGS_S3_KEEP_LOCAL),
    partSizeBytes: e.RECORDINGS_S3_PART_SIZE_MB * 1024 * 1024,
    retryForMs: e.RECORDINGS_S3_RETRY_FOR_S * 1000,
  };
}

export interface WebhookConfig {
  /** Each receiver gets every event (WEBHOOK_URL, comma-separated). */
  readonly urls: readonly string[];
  /** HMAC-SHA256 key of each request's signature header. */
  readonly secret: string;
  /** One attempt's limit. */
  readonly timeoutMs: number;
  /** How long an event is retried before it is dropped (logged and counted). */
  readonly retryForMs: number;
}

function webhookConfig(list: string, secret: string | undefined, timeoutMs: number, retryForS: number): WebhookConfig | undefined {
  const urls = commaList.parse(list);
  if (urls.length === 0) return undefined;
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // named below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol))
      throw new ConfigError(`invalid configuration: WEBHOOK_URL entry "${url.slice(0, 200)}" is not an http:// or https:// URL`);
  }
  // Unsigned events could be forged by anyone who finds the receiver: no secret, no webhooks.
  if (!secret || secret.length < 16)
    throw new ConfigError(
      "invalid configuration: WEBHOOK_URL is set, so WEBHOOK_SECRET must be too (at least 16 characters): receivers check each request's signature with it",
    );
  return { urls, secret, timeoutMs, retryForMs: retryForS * 1000 };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const urls = commaList.parse(e.ICE_SERVERS);
  for (const url of urls) {
    if (!/^(stun|stuns|turn|turns):/.test(url))
      throw new ConfigError(`invalid configuration: ICE_SERVERS entry "${url}" is not a stun:, stuns:, turn: or turns: URL`);
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
  const cluster = clusterConfig(e.REDIS_URL, e.NODE_URL, e.NODE_ID);
  const publicUrl = e.PUBLIC_URL ? checkedOrigin("PUBLIC_URL", e.PUBLIC_URL, true) : undefined;
  if (cluster && publicUrl) secureNodeUrl(cluster.nodeUrl, publicUrl);
  return {
    cluster,
    nodeCpuCores: e.NODE_CPU_CORES ?? availableParallelism(),
    mediaWorkers: e.MEDIA_WORKERS,
    port: e.PORT,
    host: e.HOST,
    maxSenders: e.MAX_SENDERS,
    maxRooms: e.MAX_ROOMS,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    connectTimeoutMs: e.CONNECT_TIMEOUT_MS,
    reconnectGraceMs: e.RECONNECT_GRACE_MS,
    defaultMode: e.DEFAULT_MODE,
    output: {
      width: e.OUTPUT_WIDTH,
      height: e.OUTPUT_HEIGHT,
      fps: e.OUTPUT_FPS,
      videoBitrate: e.OUTPUT_VIDEO_BITRATE,
      audioBitrate: e.OUTPUT_AUDIO_BITRATE,
    },
    keyframeIntervalMs: e.KEYFRAME_INTERVAL_MS,
    staleVideoMs: e.STALE_VIDEO_MS,
    screenSharePolicy: e.SCREEN_SHARE_POLICY,
    iceServers,
    iceHostAddresses: commaList.parse(e.ICE_HOST_ADDRESSES),
    icePortRange: e.ICE_PORT_MIN !== undefined && e.ICE_PORT_MAX !== undefined ? [e.ICE_PORT_MIN, e.ICE_PORT_MAX] : undefined,
    ffmpegPath: e.FFMPEG_PATH,
    videoDecoder: e.VIDEO_DECODER,
    labelFont: e.LABEL_FONT,
    apiToken: e.API_TOKEN ? e.API_TOKEN : undefined,
    recordingsDir: e.RECORDINGS_DIR,
    recordingsMinFreeBytes: e.RECORDINGS_MIN_FREE_MB * 1024 * 1024,
    autoRecord: e.AUTO_RECORD === "true" || e.AUTO_RECORD === "1",
    recordingFormat: e.RECORDING_FORMAT,
    recordingVoices: e.RECORDING_VOICES === "true" || e.RECORDING_VOICES === "1",
    recordingsS3: recordingsS3Config(e),
    webhooks: webhookConfig(e.WEBHOOK_URL, e.WEBHOOK_SECRET, e.WEBHOOK_TIMEOUT_MS, e.WEBHOOK_RETRY_FOR_S),
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    joinTokenSecret: secret("JOIN_TOKEN_SECRET", e.JOIN_TOKEN_SECRET),
    publicUrl,
    turnSecret: e.TURN_SECRET ? e.TURN_SECRET : undefined,
    turnCredentialTtlS: e.TURN_CREDENTIAL_TTL_S,
    linkSecret: secret("LINK_SECRET", e.LINK_SECRET),
    recordingLinkTtlS: e.RECORDING_LINK_TTL_S,
    allowedOrigins: commaList.parse(e.ALLOWED_ORIGINS).map((o) => checkedOrigin("ALLOWED_ORIGINS", o, false)),
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
  };
}

function clusterConfig(redisUrl: string | undefined, nodeUrl: string | undefined, nodeId: string | undefined): ClusterConfig | undefined {
  if (!redisUrl) {
    if (nodeUrl) throw new ConfigError("invalid configuration: NODE_URL is set but REDIS_URL is not; NODE_URL only matters in a cluster");
    return undefined;
  }
  if (!/^rediss?:\/\/\S+$/.test(redisUrl)) throw new ConfigError("invalid configuration: REDIS_URL must be a redis:// or rediss:// URL");
  if (!nodeUrl)
    throw new ConfigError(
      "invalid configuration: REDIS_URL is set, so NODE_URL must say how clients reach this node (e.g. https://node-1.example.com)",
    );
  let parsed: URL;
  try {
    parsed = new URL(nodeUrl);
  } catch {
    throw new ConfigError(`invalid configuration: NODE_URL "${nodeUrl.slice(0, 200)}" is not a URL`);
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.pathname !== "/" || parsed.search || parsed.hash) {
    throw new ConfigError(
      "invalid configuration: NODE_URL must be an http:// or https:// origin with no path (e.g. https://node-1.example.com)",
    );
  }
  return { redisUrl, nodeUrl: parsed.origin, nodeId: nodeId ?? `node-${randomBytes(4).toString("hex")}` };
}

/**
 * A page served over https may not open a ws:// socket (mixed content): with PUBLIC_URL on https, a node
 * whose NODE_URL is plain http could never be reached by the pages redirected to it (loopback excepted,
 * which browsers trust as they do https).
 */
function secureNodeUrl(nodeUrl: string, publicUrl: string): void {
  const node = new URL(nodeUrl);
  if (new URL(publicUrl).protocol !== "https:" || node.protocol === "https:") return;
  if (["localhost", "127.0.0.1", "[::1]"].includes(node.hostname) || node.hostname.endsWith(".localhost")) return;
  throw new ConfigError(
    `invalid configuration: PUBLIC_URL is https, so NODE_URL must be too: browsers block a secure page's socket to ${node.origin.replace(/^http/, "ws")} (mixed content), and the pages sent to this node could not reach it`,
  );
}

// HMAC secrets shorter than this are guessable offline from one token or link.
const MIN_SECRET_LENGTH = 16;

function secret(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.length < MIN_SECRET_LENGTH)
    throw new ConfigError(
      `invalid configuration: ${name} must be at least ${MIN_SECRET_LENGTH} characters (use e.g. \`openssl rand -hex 32\`)`,
    );
  return value;
}

/** An origin as browsers send it (`https://host[:port]`, no path); PUBLIC_URL may carry a path prefix. */
function checkedOrigin(name: string, value: string, pathAllowed: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`invalid configuration: ${name} entry "${value}" is not a URL like https://meet.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(`invalid configuration: ${name} entry "${value}" must start with http:// or https://`);
  if (pathAllowed) return value.replace(/\/+$/, "");
  if (url.pathname !== "/" || url.search || url.hash)
    throw new ConfigError(`invalid configuration: ${name} entry "${value}" must be an origin (scheme://host[:port]) without a path`);
  return url.origin;
}

export const defaultConfig: Config = configFromEnv({});
