// The room's recording as the server last announced it (the record button's start or stop). Once it has finished, a page whose join token may record fetches a signed link to it
// (GET /api/recordings/:id/url with the token as bearer) and shows it beside REC. Without a token the page
// has no credential for that, and shows nothing: links are then the operator's (API_TOKEN).

import type { RecordingState } from "../protocol/messages.js";
import type { TesseraView } from "./automation.js";

export class RecordingLink {
  private current: RecordingState = null;

  constructor(
    private readonly token: string | undefined,
    private readonly view: TesseraView,
    /** Shows the link beside REC (Ui.showRecordingLink); null: none. */
    private readonly show: (url: string | null) => void,
  ) {
    this.view.recordingLink = null;
    show(null);
  }

  /** The room's recording as the server last announced it (null: none running). */
  get state(): RecordingState {
    return this.current;
  }

  /** Every recording state the server announces; a running one turning into none is a finished recording. */
  update(next: RecordingState): void {
    const finished = this.current && !next ? this.current.id : undefined;
    this.current = next;
    if (finished && this.token) void this.fetchLink(finished, this.token);
  }

  private async fetchLink(id: string, token: string): Promise<void> {
    try {
      const res = await fetch(`/api/recordings/${encodeURIComponent(id)}/url`, { headers: { Authorization: `Bearer ${token}` } });
      // 403: this token may not record. Nothing to show, nothing to complain about.
      if (!res.ok) return console.info(`tessera: no link to recording ${id} (${res.status})`);
      const body: unknown = await res.json();
      const url = (body as { url?: unknown }).url;
      if (typeof url !== "string") return;
      this.show(url);
      this.view.recordingLink = url;
    } catch (error) {
      console.warn("tessera: could not fetch the recording's link", error);
    }
  }
}
