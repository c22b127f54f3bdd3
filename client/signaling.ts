// The signaling WebSocket: same host as the page, path /ws, one JSON object per text frame.

import type { ClientMessageInput, ServerMessage } from "../protocol/messages.js";
import { parseServerMessage } from "../protocol/parse.js";

export function signalingUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** A close code of the application range: this page is about to come back on a new socket. */
export const RECONNECTING_CLOSE_CODE = 4000;

export interface SignalingClose {
  /** Whether the socket ever opened; false means the server could not be reached at all. */
  opened: boolean;
  code: number;
  reason: string;
}

export interface SignalingHandlers {
  onOpen(): void;
  onMessage(message: ServerMessage): void;
  /** A frame that is not a valid server message: it is reported, and not acted on. */
  onInvalidMessage(problem: string): void;
  onClose(info: SignalingClose): void;
}

/** What a session needs of its socket: Signaling in the page, a fake in client/session.test.ts. */
export interface SignalingPort {
  readonly url: string;
  /** Sends one message; false (and dropped) when the socket is not open. */
  send(message: ClientMessageInput): boolean;
  /** Closes without reporting to onClose; `leaving` false: the server holds the place for the next socket. */
  close(leaving?: boolean): void;
}

/** Opens a socket to `url` whose events go to `handlers`. */
export type OpenSignaling = (url: string, handlers: SignalingHandlers) => SignalingPort;

export class Signaling implements SignalingPort {
  private readonly socket: WebSocket;
  private opened = false;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly handlers: SignalingHandlers,
  ) {
    this.socket = new WebSocket(url);
    this.socket.addEventListener("open", () => {
      this.opened = true;
      this.handlers.onOpen();
    });
    this.socket.addEventListener("message", (event: MessageEvent) => {
      if (this.closed) return;
      if (typeof event.data !== "string") {
        console.warn("tessera: ignoring a binary signaling frame");
        return;
      }
      const parsed = parseServerMessage(event.data);
      if (!parsed.ok) {
        console.warn(`tessera: ignoring an invalid signaling message: ${parsed.problem}`, event.data.slice(0, 200));
        this.handlers.onInvalidMessage(parsed.problem);
        return;
      }
      this.handlers.onMessage(parsed.message);
    });
    // An "error" event is always followed by "close"; report once, from "close".
    this.socket.addEventListener("close", (event: CloseEvent) => {
      if (this.closed) return;
      this.closed = true;
      this.handlers.onClose({ opened: this.opened, code: event.code, reason: event.reason });
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one message; returns false (and drops it) when the socket is not open. */
  send(message: ClientMessageInput): boolean {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /**
   * Closes the socket without reporting it to onClose (the caller chose to close). `leaving`: 1000, which
   * the server reads as leaving; otherwise RECONNECTING_CLOSE_CODE, which it reads as a drop and so holds
   * the participant's place for the next socket.
   */
  close(leaving = true): void {
    this.closed = true;
    // Frames already queued by send() go out before the close frame.
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) {
      if (leaving) this.socket.close(1000, "client closed");
      else this.socket.close(RECONNECTING_CLOSE_CODE, "reconnecting");
    }
  }
}
