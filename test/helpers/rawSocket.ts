import WebSocket from "ws";
import type { ServerMessage } from "../../protocol/messages.js";
import { readServerMessage } from "./serverMessage.js";

/** A bare signaling connection for poking the server with bad input. */
export class RawSocket {
  readonly messages: ServerMessage[] = [];
  closedWith: number | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d) => this.messages.push(readServerMessage(d)));
    ws.on("close", (code) => (this.closedWith = code));
  }
  static async open(url: string): Promise<RawSocket> {
    const ws = new WebSocket(url.replace(/^http/, "ws") + "/ws");
    // Listening from the start: a refusal can arrive in the same packet as the handshake.
    const socket = new RawSocket(ws);
    await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
    return socket;
  }
  async next(type: ServerMessage["type"], timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async error(): Promise<{ code: string; message: string }> {
    return (await this.next("error")) as { type: "error"; code: string; message: string };
  }
}

/** Resolves with the close code once the server has closed (or refused) the socket. */
export async function closedCode(socket: RawSocket, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (socket.closedWith === undefined) {
    if (Date.now() > deadline) throw new Error(`the socket is still open; got ${JSON.stringify(socket.messages)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return socket.closedWith;
}
