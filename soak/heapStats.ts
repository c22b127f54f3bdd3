import { httpRequest } from "./http.js";

/** The server's V8 heap and external (Buffer, native) memory, from its own /metrics (prom-client defaults). */
export interface HeapStats {
  readonly heapUsedBytes: number;
  readonly externalBytes: number;
}

function metric(text: string, name: string): number | undefined {
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

/**
 * Undefined when /metrics does not answer or lacks them. Read beside RSS, it tells a JavaScript leak
 * (heap grows) from a native one (RSS grows, heap and external do not).
 */
export async function readHeapStats(baseUrl: string): Promise<HeapStats | undefined> {
  const r = await httpRequest(`${baseUrl}/metrics`).catch(() => undefined);
  if (r?.status !== 200) return undefined;
  const heapUsedBytes = metric(r.body, "nodejs_heap_size_used_bytes");
  const externalBytes = metric(r.body, "nodejs_external_memory_bytes");
  return heapUsedBytes === undefined || externalBytes === undefined ? undefined : { heapUsedBytes, externalBytes };
}
