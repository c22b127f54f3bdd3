import type { RecordingLinks } from "../access/recordingLinks.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RoomEvents } from "./webhookEvents.js";
import { Webhooks } from "./webhooks.js";

/**
 * The server's webhooks (WEBHOOK_URL), and the RoomEvents rooms send through: a finished recording is
 * located by its file name and, with PUBLIC_URL, a signed download link. Undefined without WEBHOOK_URL.
 */
export function createServerWebhooks(config: Config, log: Logger, links: RecordingLinks): { webhooks: Webhooks; events: RoomEvents } | undefined {
  const settings = config.webhooks;
  if (!settings) return undefined;
  const webhooks = new Webhooks({ ...settings, log: log.child({ component: "webhooks" }) });
  const events: RoomEvents = {
    send: (room, event) => webhooks.send(room, event),
    locate: (id, file) => {
      if (!config.publicUrl) return { file };
      const { query, expiresAt } = links.sign(id);
      return { file, url: `${config.publicUrl}/api/recordings/${id}/download?${query}`, urlExpiresAt: expiresAt.toISOString() };
    },
  };
  return { webhooks, events };
}
