import { describe, expect, it } from "vitest";
import { ConfigError, configFromEnv } from "./config.js";
import { silentLogger } from "./log.js";
import { startServer } from "./server.js";

describe("config: the ops settings", () => {
  it("reads LOG_LEVEL and API_TOKEN, and treats an empty API_TOKEN as unset", () => {
    expect(configFromEnv({ LOG_LEVEL: "debug", API_TOKEN: "abc" })).toMatchObject({ logLevel: "debug", apiToken: "abc" });
    expect(configFromEnv({ API_TOKEN: "" }).apiToken).toBeUndefined();
    expect(configFromEnv({}).logLevel).toBe("info");
    expect(configFromEnv({}).shutdownGraceMs).toBe(10_000);
    expect(configFromEnv({ SHUTDOWN_GRACE_MS: "2500" }).shutdownGraceMs).toBe(2500);
    expect(() => configFromEnv({ SHUTDOWN_GRACE_MS: "soon" })).toThrow(/SHUTDOWN_GRACE_MS/);
  });

  it("stops at start on a LOG_LEVEL it does not know, naming the variable", () => {
    expect(() => configFromEnv({ LOG_LEVEL: "loud" })).toThrow(ConfigError);
    expect(() => configFromEnv({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });

  it("is a single node without REDIS_URL, and a cluster node with REDIS_URL and NODE_URL", () => {
    expect(configFromEnv({}).cluster).toBeUndefined();
    expect(configFromEnv({ REDIS_URL: "" }).cluster).toBeUndefined();
    expect(
      configFromEnv({ REDIS_URL: "redis://10.0.0.5:6379", NODE_URL: "https://node-1.example.com/", NODE_ID: "node-1" }).cluster,
    ).toEqual({
      redisUrl: "redis://10.0.0.5:6379",
      nodeUrl: "https://node-1.example.com",
      nodeId: "node-1",
    });
    expect(configFromEnv({ REDIS_URL: "rediss://r.example.com", NODE_URL: "http://10.0.0.7:8080" }).cluster?.nodeId).toMatch(
      /^node-[0-9a-f]{8}$/,
    );
    expect(configFromEnv({ NODE_CPU_CORES: "1.5" }).nodeCpuCores).toBe(1.5);
  });

  it("refuses a cluster setting that cannot work, naming it", () => {
    expect(() => configFromEnv({ REDIS_URL: "redis://r:6379" })).toThrow(/NODE_URL must say how clients reach this node/);
    expect(() => configFromEnv({ NODE_URL: "http://n:8080" })).toThrow(/REDIS_URL is not/);
    expect(() => configFromEnv({ REDIS_URL: "http://r:6379", NODE_URL: "http://n:8080" })).toThrow(/REDIS_URL must be a redis:\/\//);
    expect(() => configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "http://n:8080/tessera" })).toThrow(/NODE_URL must be an http/);
    expect(() => configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "ws://n:8080" })).toThrow(/NODE_URL/);
    // Pages served over https cannot open ws:// sockets: such a node could never be reached.
    expect(() =>
      configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "http://node-1.example.com:8080", PUBLIC_URL: "https://meet.example.com" }),
    ).toThrow(/PUBLIC_URL is https, so NODE_URL must be too/);
    expect(
      configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "https://node-1.example.com", PUBLIC_URL: "https://meet.example.com" }).cluster
        ?.nodeUrl,
    ).toBe("https://node-1.example.com");
    expect(
      configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "http://127.0.0.1:8081", PUBLIC_URL: "https://meet.example.com" }).cluster?.nodeUrl,
    ).toBe("http://127.0.0.1:8081");
    expect(
      configFromEnv({ REDIS_URL: "redis://r", NODE_URL: "http://node-1.internal:8080", PUBLIC_URL: "http://meet.example.com" }).cluster
        ?.nodeUrl,
    ).toBe("http://node-1.internal:8080");
    expect(() => configFromEnv({ NODE_ID: "has space" })).toThrow(/NODE_ID/);
  });

  it("reads RECORDING_FORMAT and the webhook settings; refuses webhooks without a secret or with a URL that is not http(s)", () => {
    expect(configFromEnv({}).recordingFormat).toBe("webm");
    expect(configFromEnv({ RECORDING_FORMAT: "mp4" }).recordingFormat).toBe("mp4");
    expect(() => configFromEnv({ RECORDING_FORMAT: "avi" })).toThrow(/RECORDING_FORMAT/);
    expect(configFromEnv({}).webhooks).toBeUndefined();
    const secret = "0123456789abcdef";
    expect(
      configFromEnv({ WEBHOOK_URL: "https://a.example/h, http://b.example/h", WEBHOOK_SECRET: secret, WEBHOOK_RETRY_FOR_S: "60" }).webhooks,
    ).toEqual({
      urls: ["https://a.example/h", "http://b.example/h"],
      secret,
      timeoutMs: 5000,
      retryForMs: 60_000,
    });
    expect(() => configFromEnv({ WEBHOOK_URL: "https://a.example/h" })).toThrow(/WEBHOOK_SECRET must be too/);
    expect(() => configFromEnv({ WEBHOOK_URL: "https://a.example/h", WEBHOOK_SECRET: "short" })).toThrow(/at least 16 characters/);
    expect(() => configFromEnv({ WEBHOOK_URL: "ftp://a.example/h", WEBHOOK_SECRET: secret })).toThrow(
      /WEBHOOK_URL entry "ftp:\/\/a.example\/h" is not an http/,
    );
  });

  it("reads the RECORDINGS_S3_* settings (uploads off without a bucket) and refuses ones that cannot work, naming them", () => {
    expect(configFromEnv({}).recordingsS3).toBeUndefined();
    expect(configFromEnv({ RECORDINGS_S3_BUCKET: "interviews" }).recordingsS3).toEqual({
      bucket: "interviews",
      endpoint: undefined,
      region: "us-east-1",
      pathStyle: false,
      prefix: "",
      keepLocal: false,
      partSizeBytes: 8 * 1024 * 1024,
      retryForMs: 86_400_000,
    });
    expect(configFromEnv({ RECORDINGS_S3_BUCKET: "interviews", AWS_REGION: "ap-northeast-2" }).recordingsS3?.region).toBe("ap-northeast-2");
    expect(
      configFromEnv({
        RECORDINGS_S3_BUCKET: "rec.example",
        RECORDINGS_S3_ENDPOINT: "http://minio:9000/",
        RECORDINGS_S3_REGION: "eu-1",
        RECORDINGS_S3_PATH_STYLE: "true",
        RECORDINGS_S3_PREFIX: "/tessera/",
        RECORDINGS_S3_KEEP_LOCAL: "1",
        RECORDINGS_S3_PART_SIZE_MB: "16",
        RECORDINGS_S3_RETRY_FOR_S: "600",
        AWS_REGION: "us-west-2",
      }).recordingsS3,
    ).toEqual({
      bucket: "rec.example",
      endpoint: "http://minio:9000",
      region: "eu-1",
      pathStyle: true,
      prefix: "tessera/",
      keepLocal: true,
      partSizeBytes: 16 * 1024 * 1024,
      retryForMs: 600_000,
    });
    expect(() => configFromEnv({ RECORDINGS_S3_BUCKET: "Bad_Bucket" })).toThrow(/RECORDINGS_S3_BUCKET "Bad_Bucket" is not a bucket name/);
    expect(() => configFromEnv({ RECORDINGS_S3_ENDPOINT: "http://minio:9000" })).toThrow(/RECORDINGS_S3_BUCKET is not/);
    expect(() => configFromEnv({ RECORDINGS_S3_BUCKET: "b-1", RECORDINGS_S3_ENDPOINT: "minio:9000" })).toThrow(
      /RECORDINGS_S3_ENDPOINT "minio:9000" must be an http/,
    );
    expect(() => configFromEnv({ RECORDINGS_S3_BUCKET: "b-1", RECORDINGS_S3_PART_SIZE_MB: "4" })).toThrow(/RECORDINGS_S3_PART_SIZE_MB/);
    expect(() => configFromEnv({ RECORDINGS_S3_BUCKET: "b-1", RECORDINGS_S3_PATH_STYLE: "yes" })).toThrow(/RECORDINGS_S3_PATH_STYLE/);
  });

  it("reads LABEL_FONT; one naming a font that is not installed stops the start-up, naming it", async () => {
    expect(configFromEnv({ LABEL_FONT: "Noto Sans, /fonts/x.ttf" }).labelFont).toBe("Noto Sans, /fonts/x.ttf");
    expect(configFromEnv({}).labelFont).toBeUndefined();
    await expect(startServer({ port: 0, host: "127.0.0.1", labelFont: "Helvetica Imaginary" }, silentLogger)).rejects.toThrow(
      /LABEL_FONT: font family "Helvetica Imaginary" is not installed/,
    );
    const server = await startServer({ port: 0, host: "127.0.0.1", labelFont: "Noto Sans" }, silentLogger);
    try {
      expect(server.config.labelFamilies).toEqual(["Noto Sans"]);
    } finally {
      await server.close();
    }
  });
});
