// Once the room's recording has finished, a page whose join token may record fetches a signed link to it
// (GET /api/recordings/:id/url with the token as bearer) and shows it beside REC. Without a token the page
// has no credential for that, and shows nothing: links are then the operator's (API_TOKEN).

import type { RecordingState } from "../protocol/messages.js";
import type { TesseraView } from "./automation.js";

const LINK_ID = "recording-link";

export class RecordingLink {
  private current: RecordingState = null;

  constructor(
    private readonly token: string | undefined,
    private readonly view: TesseraView,
  ) {
    this.view.recordingLink = null;
    element()?.remove();
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
    } catch (error) {
      console.warn("tessera: could not fetch the recording's link", error);
    }
  }

  private show(url: string): void {
    const a = element() ?? document.createElement("a");
    a.id = LINK_ID;
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = "Recording ready: download";
    a.title = "A signed link to the finished recording; it expires";
    if (!a.isConnected) (document.getElementById("rec")?.parentElement ?? document.body).appendChild(a);
    this.view.recordingLink = url;
  }
}

function element(): HTMLAnchorElement | null {
  return document.getElementById(LINK_ID) as HTMLAnchorElement | null;
}
