import type { Logger } from "../log.js";
import { MediaWorkerPool, type MediaWorkerPoolOptions } from "./mediaWorkerPool.js";

/**
 * The server's media workers, started and ready; undefined with MEDIA_WORKERS=0 (rooms run in the server's
 * process). With RECORDINGS_S3_BUCKET the rooms stay in process too: uploads are queued by the store that
 * finished the recording, and a worker's store has no uploader (docs/decisions.md, "Media workers").
 */
export async function startMediaWorkers(options: Omit<MediaWorkerPoolOptions, "size">): Promise<MediaWorkerPool | undefined> {
  const { config, log } = options;
  if (config.mediaWorkers === 0) return undefined;
  if (config.recordingsS3) {
    warnInProcess(log, "RECORDINGS_S3_BUCKET is set, and recordings made in a media worker are not uploaded yet");
    return undefined;
  }
  const pool = new MediaWorkerPool({ ...options, size: config.mediaWorkers });
  try {
    await pool.start();
  } catch (err) {
    await pool.stop(0);
    throw new Error(`media workers did not start: ${(err as Error).message}`, { cause: err });
  }
  log.info("media workers started", { workers: config.mediaWorkers, pids: pool.live.map((w) => w.pid) });
  return pool;
}

function warnInProcess(log: Logger, why: string): void {
  log.warn(`MEDIA_WORKERS is ignored: ${why}; rooms run in the server's own process`);
}
