import type { Cluster } from "../../cluster/cluster.js";
import type { Config } from "../../config.js";
import type { Logger } from "../../log.js";
import type { RecordingStore } from "../../recordings/recordingStore.js";
import type { RoomRegistry } from "../../rooms/roomRegistry.js";
import type { RecordingLinks } from "../../access/recordingLinks.js";

/** What the control API's routes may touch. */
export interface ApiDeps {
  readonly rooms: RoomRegistry;
  readonly config: Config;
  readonly log: Logger;
  /** The server's one store of recordings, shared with its rooms. */
  readonly recordings: RecordingStore;
  /** The other nodes' rooms, and where to forward requests for them (SingleNode: none). */
  readonly cluster: Cluster;
  /** Signs and checks recording links (LINK_SECRET). */
  readonly links: RecordingLinks;
}
