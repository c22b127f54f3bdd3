/** What a GET with this Range header gets, for a representation of `size` bytes (RFC 9110 section 14). */
export type RangeAnswer =
  /** 200 with everything: no Range, one the server ignores (malformed, another unit), or several disjoint ranges. */
  | { readonly kind: "whole" }
  /** 206 with bytes start..end, both inclusive. */
  | { readonly kind: "partial"; readonly start: number; readonly end: number }
  /** 416 with Content-Range: bytes *\/size. */
  | { readonly kind: "unsatisfiable" };

const DIGITS = /^\d+$/;

/**
 * Reads a Range header. A suffix longer than the file is the whole file (14.1.2: "the entire
 * representation is used"), a last position past the end is cut to the end; a range whose first byte
 * is past the end, or a zero-length suffix, cannot be satisfied. A syntactically invalid header is
 * ignored, as 14.2 allows. Several ranges are served as one when they overlap or touch; otherwise the
 * whole file is sent (no multipart/byteranges: a player asks for one range at a time).
 */
export function byteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "whole" };
  const eq = header.indexOf("=");
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "whole" };
  const satisfiable: { start: number; end: number }[] = [];
  for (const spec of header.slice(eq + 1).split(",")) {
    const parsed = parseSpec(spec.trim(), size);
    if (parsed === "invalid") return { kind: "whole" };
    if (parsed !== "unsatisfiable") satisfiable.push(parsed);
  }
  if (satisfiable.length === 0) return { kind: "unsatisfiable" };
  const merged = coalesce(satisfiable);
  return merged.length === 1 ? { kind: "partial", ...merged[0] } : { kind: "whole" };
}

function parseSpec(spec: string, size: number): { start: number; end: number } | "unsatisfiable" | "invalid" {
  const dash = spec.indexOf("-");
  if (dash < 0) return "invalid";
  const first = spec.slice(0, dash);
  const last = spec.slice(dash + 1);
  if (first === "") {
    // suffix-range: the last n bytes. Numbers past 2^53 lose precision but still compare correctly with any file size.
    if (!DIGITS.test(last)) return "invalid";
    const length = Number(last);
    if (length === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  if (!DIGITS.test(first) || (last !== "" && !DIGITS.test(last))) return "invalid";
  const start = Number(first);
  const end = last === "" ? Infinity : Number(last);
  if (end < start) return "invalid";
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

function coalesce(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out = [{ ...sorted[0] }];
  for (const r of sorted.slice(1)) {
    const lastRange = out[out.length - 1];
    if (r.start <= lastRange.end + 1) lastRange.end = Math.max(lastRange.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
