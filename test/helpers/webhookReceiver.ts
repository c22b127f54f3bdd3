import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface ReceivedWebhook {
  readonly body: string;
  readonly headers: IncomingMessage["headers"];
  /** performance.now() when it arrived. */
  readonly at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests. `answer` decides each request's fate: a status to
 * answer with, or "hang" (never answer: the sender's timeout must end the attempt). Every request is kept.
 */
export async function startWebhookReceiver(
  answer: (n: number, body: string) => number | "hang" = () => 200,
): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const n = received.length;
      received.push({ body, headers: req.headers, at: performance.now() });
      const fate = answer(n, body);
      if (fate === "hang") hanging.push(res);
      else res.writeHead(fate, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks?token=abc`,
    received,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
