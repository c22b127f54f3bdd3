import { createReadStream } from "node:fs";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import type { RecordingsS3Config } from "../../config.js";

/** SigV4's longest presigned URL (7 days). */
const MAX_PRESIGN_S = 7 * 24 * 3600;
/** One request's limit: a storage that accepts a connection and then stalls fails the attempt (and it is retried). */
const REQUEST_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface PutProgress {
  readonly loaded: number;
  readonly total: number;
}

/** The SDK's three packages, loaded by S3Storage.create only (a server without a bucket never parses them). */
type Sdk = typeof import("@aws-sdk/client-s3") & typeof import("@aws-sdk/lib-storage") & typeof import("@aws-sdk/s3-request-presigner");

/**
 * The one place that talks to the bucket, through the AWS SDK (signing, multipart, retries of a single
 * request): put a file with a multipart upload, read back what is stored, presign a GET, delete.
 */
export class S3Storage {
  private readonly client: S3Client;

  /**
   * Loads the SDK and makes the client. `credentials`: tests only; the server leaves it out and the SDK's
   * default chain finds them.
   */
  static async create(config: RecordingsS3Config, credentials?: S3ClientConfig["credentials"]): Promise<S3Storage> {
    const [client, storage, presigner] = await Promise.all([
      import("@aws-sdk/client-s3"),
      import("@aws-sdk/lib-storage"),
      import("@aws-sdk/s3-request-presigner"),
    ]);
    return new S3Storage({ ...client, ...storage, ...presigner }, config, credentials);
  }

  private constructor(
    private readonly sdk: Sdk,
    readonly config: RecordingsS3Config,
    credentials?: S3ClientConfig["credentials"],
  ) {
    this.client = new sdk.S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.pathStyle,
      ...(credentials ? { credentials } : {}),
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
      // Our own retries (recordingUploader) span outages; the SDK's own few retry one request's hiccup.
      maxAttempts: 3,
    });
  }

  key(file: string): string {
    return this.config.prefix + file;
  }

  /**
   * Uploads `path` to `key` (multipart above one part, each part with the SDK's CRC32 checksum, which the
   * storage checks on receipt where it supports them), with `sha256` as the object's metadata. An abort
   * of `signal` abandons it (and asks the storage to drop the parts sent).
   */
  async put(
    path: string,
    key: string,
    contentType: string,
    sha256: string,
    signal: AbortSignal,
    onProgress: (p: PutProgress) => void,
  ): Promise<void> {
    const upload = new this.sdk.Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: createReadStream(path), ContentType: contentType, Metadata: { sha256 } },
      partSize: this.config.partSizeBytes,
      // One part in memory at a time: a recording's upload must not take the media server's memory.
      queueSize: 1,
      leavePartsOnError: false,
    });
    upload.on("httpUploadProgress", (p) => onProgress({ loaded: p.loaded ?? 0, total: p.total ?? 0 }));
    const abort = () => void upload.abort().catch(() => undefined);
    signal.addEventListener("abort", abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal.removeEventListener("abort", abort);
    }
  }

  /** Why the stored object is not the file (size, or the sha256 it was stored with), or undefined when it is. */
  async verify(key: string, bytes: number, sha256: string, signal: AbortSignal): Promise<string | undefined> {
    try {
      const head = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.config.bucket, Key: key }), {
        abortSignal: signal,
      });
      if (head.ContentLength !== bytes) return `stored ${head.ContentLength ?? "?"} bytes, the file has ${bytes}`;
      if (head.Metadata?.sha256 !== sha256) return `stored with sha256 ${head.Metadata?.sha256 ?? "(none)"}, the file's is ${sha256}`;
      return undefined;
    } catch (err) {
      if (err instanceof this.sdk.NotFound) return "the object is not there after its upload";
      throw err;
    }
  }

  /** A presigned GET of `key`, valid `expiresS` (at most 7 days); `download` makes it an attachment of that name. */
  presign(key: string, expiresS: number, contentType: string, disposition?: string): Promise<string> {
    const command = new this.sdk.GetObjectCommand({
      Bucket: this.config.bucket,
      Key: key,
      ResponseContentType: contentType,
      ...(disposition ? { ResponseContentDisposition: disposition } : {}),
    });
    return this.sdk.getSignedUrl(this.client, command, { expiresIn: Math.max(1, Math.min(MAX_PRESIGN_S, Math.floor(expiresS))) });
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }));
  }

  close(): void {
    this.client.destroy();
  }
}
