import type { ProcessGroup } from "../../mixer/ffmpeg/processGroup.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { RecordingStore } from "../recordings/recordingStore.js";
import type { RoomMediaFactory } from "./roomMedia.js";
import type { MediaMetrics } from "../metrics/mediaMetrics.js";
import type { RoomEvents } from "../webhooks/webhookEvents.js";

/** What the registry hands a room it creates; the room hands it on to what it creates in turn. */
export interface RoomContext {
  readonly name: string;
  readonly config: Config;
  /** Every line carries the room's name and mode. */
  readonly log: Logger;
  /** The room's own ffmpeg children, a child group of the server's; closed once the room has closed. */
  readonly processes: ProcessGroup;
  /** The server's store of recordings (MCU rooms record into it). */
  readonly recordings: RecordingStore;
  /** Makes the room's peers and mixer: real ones in the server, fakes in room tests. */
  readonly media: RoomMediaFactory;
  /** The server's media counters (RTP, feedback, failures, first frame); room tests may leave them out. */
  readonly metrics?: MediaMetrics;
  /** Where the room's events go (webhooks); absent without WEBHOOK_URL, and in room tests. */
  readonly events?: RoomEvents;
  /**
   * The id and resume key of the member being admitted, when someone else made them (a room in a media
   * worker: the server's proxy of it mints them, so its admit() can answer at once); undefined: the room does.
   */
  readonly memberKeys?: () => { readonly id: string; readonly resumeKey: string } | undefined;
}
