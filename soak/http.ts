import { request } from "node:http";

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface HttpRequest {
  readonly method?: "GET" | "POST" | "PUT" | "DELETE";
  readonly token?: string;
  readonly timeoutMs?: number;
}

/**
 * One request on a connection of its own that the server closes after answering (no agent, so
 * `Connection: close`). fetch() would keep the connection alive in a pool for seconds, and that socket
 * would show up in the server's fd count when the soak compares it with its baseline.
 */
export function httpRequest(url: string, options: HttpRequest = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        agent: false,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${options.method ?? "GET"} ${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

/** True when /healthz answers 200; false on any other answer or none. */
export async function healthy(baseUrl: string, timeoutMs = 10_000): Promise<boolean> {
  return httpRequest(`${baseUrl}/healthz`, { timeoutMs }).then(
    (r) => r.status === 200,
    () => false,
  );
}
