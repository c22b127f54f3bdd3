import type { RecordingLinks } from "../access/recordingLinks.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RoomEvents } from "./webhookEvents.js";
import { Webhooks } from "./webhooks.js";
import type { RecordingUploader } from "../recordings/upload/recordingUploader.js";
import { recordingFailed, recordingFinished } from "./recordingEvents.js";

/**
 * The server's webhooks (WEBHOOK_URL), and the RoomEvents rooms send through: a finished recording is
 * located by its file name and, with PUBLIC_URL, a signed download link. Undefined without WEBHOOK_URL.
 */
export function createServerWebhooks(
  config: Config,
  log: Logger,
  links: RecordingLinks,
): { webhooks: Webhooks; events: RoomEvents } | undefined {
  const settings = config.webhooks;
  if (!settings) return undefined;
  const webhooks = new Webhooks({ ...settings, log: log.child({ component: "webhooks" }) });
  const events: RoomEvents = { send: (room, event) => webhooks.send(room, event), locate: recordingLocator(config, links) };
  return { webhooks, events };
}

/** Where a finished recording can be fetched: its file name and, with PUBLIC_URL, a signed download link. */
export function recordingLocator(config: Config, links: RecordingLinks): RoomEvents["locate"] {
  return (id, file) => {
    if (!config.publicUrl) return { file };
    const { query, expiresAt } = links.sign(id);
    return { file, url: `${config.publicUrl}/api/recordings/${id}/download?${query}`, urlExpiresAt: expiresAt.toISOString() };
  };
}

/**
 * With a bucket, a recording is announced once its upload is verified (recording.finished, with where
 * the objects are), or as failed when its upload is given up.
 */
export function announceUploads(uploader: RecordingUploader, events: RoomEvents): void {
  uploader.on("uploaded", ({ id, room, info, finish }) => {
    if (!finish || !info.file) return; // a recording that failed or was cut short: already announced, or never finished
    const storage = uploader.storageOf(id, false);
    const stored = storage && {
      bucket: storage.bucket,
      key: storage.key,
      timelineKey: storage.timelineKey,
      ...(storage.voiceKeys ? { voiceKeys: storage.voiceKeys } : {}),
    };
    events.send(room, recordingFinished(info, finish, { ...events.locate(id, info.file), ...(stored ? { storage: stored } : {}) }));
  });
  uploader.on("failed", ({ room, info, reason }) => {
    if (info) events.send(room, recordingFailed(info, `the upload to storage was given up (${reason}); the files stay in RECORDINGS_DIR`));
  });
}
