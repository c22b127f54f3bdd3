import { connect } from "node:net";

export interface RawExchange {
  /** What came back, as latin1 text (empty when the server closed without a word). */
  readonly response: string;
  /** The status code of the first response line, when there is one. */
  readonly status: number | undefined;
  /** Whether the server closed the connection (rather than our waiting running out). */
  readonly closedByServer: boolean;
}

export interface RawSendOptions {
  /** Reset the connection (TCP RST) this long after the last write, instead of waiting for an answer. */
  readonly resetAfterMs?: number;
  /** Write the bytes in pieces of this size, one per event-loop turn. */
  readonly chunkBytes?: number;
  /** Give up waiting (and close) after this long; also stops 200 ms after the last byte that arrives. */
  readonly timeoutMs?: number;
}

/** Sends bytes to 127.0.0.1:`port` over a plain TCP connection, and collects what comes back (bounded in time). */
export function rawSend(port: number, bytes: string | Buffer, options: RawSendOptions = {}): Promise<RawExchange> {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  const timeoutMs = options.timeoutMs ?? 2000;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let done = false;
    const socket = connect(port, "127.0.0.1");
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      clearTimeout(idle);
      socket.destroy();
      const response = Buffer.concat(chunks).toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1];
      resolve({ response, status: status === undefined ? undefined : Number(status), closedByServer });
    };
    const overall = setTimeout(finish, timeoutMs);
    let idle: NodeJS.Timeout | undefined;
    socket.on("data", (d) => {
      chunks.push(d);
      clearTimeout(idle);
      idle = setTimeout(finish, 200);
    });
    socket.on("end", () => {
      closedByServer = true;
      finish();
    });
    socket.on("close", () => finish());
    socket.on("error", () => finish());
    socket.on("connect", async () => {
      const size = options.chunkBytes ?? data.length;
      for (let at = 0; at < data.length && !done; at += size) {
        socket.write(data.subarray(at, at + size));
        if (size < data.length) await new Promise((r) => setImmediate(r));
      }
      if (options.resetAfterMs !== undefined)
        setTimeout(() => (done ? undefined : (socket.resetAndDestroy(), finish())), options.resetAfterMs);
    });
  });
}
