import WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { describeMessages } from "./describeMessages.js";

/** A bare signaling connection, for participants that never get as far as media. */
export class SignalingSocket {
  readonly messages: ServerMessage[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => this.messages.push(JSON.parse(String(data)) as ServerMessage));
    // A refused or cut connection is an outcome the cycle checks for, not a crash of the driver.
    ws.on("error", () => undefined);
  }

  static async open(baseUrl: string, timeoutMs = 10_000): Promise<SignalingSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws`, { handshakeTimeout: timeoutMs });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new SignalingSocket(ws);
  }

  send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** The first message from index `from` on that satisfies `predicate`; rejects naming what arrived instead. */
  async waitFor(predicate: (m: ServerMessage) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${describeMessages(this.messages.slice(from))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Cut without a close frame, as a crashed tab does. */
  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
