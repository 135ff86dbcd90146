/**
 * NATS header blocks ("NATS/1.0[ status[ description]]\r\nKey: Value\r\n...\r\n\r\n"):
 * parsing what publishers send and building what JetStream sends (status replies, Direct Get).
 * Keys are matched case-sensitively, as nats-server does.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ParsedHeaders {
  status: number | undefined;
  description: string;
  entries: Array<[string, string]>;
}

export function parseHeaders(block: Uint8Array | undefined): ParsedHeaders {
  const out: ParsedHeaders = { status: undefined, description: "", entries: [] };
  if (block === undefined || block.length === 0) return out;
  const lines = decoder.decode(block).split("\r\n");
  const first = lines[0] ?? "";
  const m = /^NATS\/1\.0(?:\s+(\d{3})(?:\s+(.*))?)?$/.exec(first.trim());
  if (m) {
    if (m[1] !== undefined) out.status = Number(m[1]);
    out.description = m[2] ?? "";
  }
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.entries.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** First value of key in a parsed header set. */
export function headerValue(h: ParsedHeaders, key: string): string | undefined {
  for (const [k, v] of h.entries) if (k === key) return v;
  return undefined;
}

/** Fast path: get one header from a raw block without full parsing when absent. */
export function getHeader(block: Uint8Array | undefined, key: string): string | undefined {
  if (block === undefined || block.length === 0) return undefined;
  const text = decoder.decode(block);
  const needle = `\r\n${key}:`;
  const at = text.indexOf(needle);
  if (at < 0) return undefined;
  const end = text.indexOf("\r\n", at + needle.length);
  return text.slice(at + needle.length, end < 0 ? undefined : end).trim();
}

export function buildHeaders(entries: ReadonlyArray<readonly [string, string]>, status?: string): Uint8Array {
  let s = status === undefined ? "NATS/1.0\r\n" : `NATS/1.0 ${status}\r\n`;
  for (const [k, v] of entries) s += `${k}: ${v}\r\n`;
  s += "\r\n";
  return encoder.encode(s);
}

/** Append entries to an existing block (or start one), keeping the original bytes first. */
export function appendHeaders(block: Uint8Array | undefined, entries: ReadonlyArray<readonly [string, string]>): Uint8Array {
  if (block === undefined || block.length === 0) return buildHeaders(entries);
  const text = decoder.decode(block);
  const base = text.endsWith("\r\n\r\n") ? text.slice(0, -2) : text;
  let s = base;
  for (const [k, v] of entries) s += `${k}: ${v}\r\n`;
  return encoder.encode(s + "\r\n");
}

/** Remove a header key (all occurrences) from a raw block; undefined stays undefined. */
export function removeHeader(block: Uint8Array | undefined, key: string): Uint8Array | undefined {
  if (block === undefined) return undefined;
  const h = parseHeaders(block);
  if (!h.entries.some(([k]) => k === key)) return block;
  return buildHeaders(h.entries.filter(([k]) => k !== key));
}

export function statusHeaders(code: number, description: string, extra: ReadonlyArray<readonly [string, string]> = []): Uint8Array {
  return buildHeaders(extra, description.length > 0 ? `${code} ${description}` : String(code));
}

export const utf8 = { encode: (s: string): Uint8Array => encoder.encode(s), decode: (b: Uint8Array): string => decoder.decode(b) };

/** RFC3339 with nanoseconds, UTC, as Go's time.RFC3339Nano prints (trailing zeros trimmed). */
export function rfc3339Nano(tsNs: bigint): string {
  const ms = Number(tsNs / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.000Z
  const nanos = (tsNs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return iso.slice(0, 19) + (nanos.length > 0 ? `.${nanos}` : "") + "Z";
}

/** Parse a Go duration ("1.5s", "300ms", "1m30s") into nanoseconds; undefined if malformed. */
export function parseGoDurationNs(text: string): bigint | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0].length;
  }
  if (matched === 0 || matched !== text.length) return undefined;
  return BigInt(Math.round(total));
}
