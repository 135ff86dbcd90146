/**
 * Pull requests (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`): parsing the body and checking
 * it against the consumer's caps, producing either a request or the exact status reply
 * nats-server sends (400/409). Pure: no I/O.
 */
import type { ConsumerConfig } from "./config.js";

const decoder = new TextDecoder();

export interface PullRequest {
  reply: string;
  batch: number;
  /** Remaining byte budget; 0 = unlimited. */
  maxBytes: number;
  /** Absolute deadline (ms, the consumer clock), undefined = none. */
  expiresAtMs: number | undefined;
  noWait: boolean;
  heartbeatMs: number;
  lastHeartbeatMs: number;
  delivered: number;
}

export type PullParse = { kind: "ok"; request: PullRequest } | { kind: "status"; code: number; description: string };

/** Upper bound on one request's batch, whatever the client asks. */
export const pullBatchMax = 1_000_000;

function formatGoDuration(ns: number): string {
  if (ns % 1e9 === 0) {
    const s = ns / 1e9;
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return `${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${sec}s`;
  }
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  return `${ns / 1e9}s`;
}

export function parsePullRequest(body: Uint8Array, reply: string, cfg: ConsumerConfig, nowMs: number): PullParse {
  const text = decoder.decode(body).trim();
  let batch = 1;
  let expiresNs = 0;
  let maxBytes = 0;
  let noWait = false;
  let hbNs = 0;
  if (text.length > 0) {
    if (/^\d+$/.test(text)) batch = Number(text);
    else {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        return { kind: "status", code: 400, description: "Bad Request" };
      }
      if (typeof raw !== "object" || raw === null) return { kind: "status", code: 400, description: "Bad Request" };
      const r = raw as Record<string, unknown>;
      if (typeof r["batch"] === "number") batch = r["batch"];
      if (typeof r["expires"] === "number") expiresNs = r["expires"];
      if (typeof r["max_bytes"] === "number") maxBytes = r["max_bytes"];
      if (r["no_wait"] === true) noWait = true;
      if (typeof r["idle_heartbeat"] === "number") hbNs = r["idle_heartbeat"];
    }
  }
  if (!Number.isInteger(batch) || batch <= 0) batch = 1;
  if (cfg.max_batch !== undefined && batch > cfg.max_batch) {
    return { kind: "status", code: 409, description: `Exceeded MaxRequestBatch of ${cfg.max_batch}` };
  }
  if (cfg.max_expires !== undefined && expiresNs > cfg.max_expires) {
    return { kind: "status", code: 409, description: `Exceeded MaxRequestExpires of ${formatGoDuration(cfg.max_expires)}` };
  }
  if (cfg.max_bytes !== undefined && maxBytes > cfg.max_bytes) {
    return { kind: "status", code: 409, description: `Exceeded MaxRequestMaxBytes of ${cfg.max_bytes}` };
  }
  if (hbNs > 0 && expiresNs > 0 && hbNs * 2 > expiresNs) {
    return { kind: "status", code: 400, description: "Bad Request - heartbeat value too large" };
  }
  // A max_expires cap applies to requests that did not ask for an expiry.
  if (expiresNs <= 0 && cfg.max_expires !== undefined && !noWait) expiresNs = cfg.max_expires;
  return {
    kind: "ok",
    request: {
      reply,
      batch: Math.min(batch, pullBatchMax),
      maxBytes: Math.max(0, maxBytes),
      expiresAtMs: expiresNs > 0 ? nowMs + expiresNs / 1e6 : undefined,
      noWait,
      heartbeatMs: hbNs > 0 ? hbNs / 1e6 : 0,
      lastHeartbeatMs: nowMs,
      delivered: 0,
    },
  };
}

/** The `$JS.ACK...` reply subject of a delivered message (v1 form, 9 tokens). */
export function ackSubject(stream: string, consumer: string, deliveries: number, streamSeq: number, consumerSeq: number, tsNs: bigint, pending: number): string {
  return `$JS.ACK.${stream}.${consumer}.${deliveries}.${streamSeq}.${consumerSeq}.${tsNs}.${pending}`;
}

/** The decimal integer in subject[start, end), or -1 (no substring, regex or Number() per ack). */
function parseUintAt(subject: string, start: number, end: number): number {
  if (end <= start || end - start > 20) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = subject.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Dot positions of the ack subject being parsed (reused: acks are parsed one at a time). */
const dots = new Int32Array(16);

/** An ack subject's numbers and where its stream/consumer tokens are (no substrings made). */
export interface AckScan {
  deliveries: number;
  streamSeq: number;
  consumerSeq: number;
  /** Stored time of the message (ms since epoch, fractional; 0 if unparsable): latency metrics only. */
  tsMs: number;
  streamStart: number;
  /** The stream token is [streamStart, consumerStart - 1), the consumer [consumerStart, prefixEnd - 1). */
  consumerStart: number;
  /** Length of `$JS.ACK.[domain.hash.]<stream>.<consumer>.`: acks of one consumer share this prefix. */
  prefixEnd: number;
}

export type AckRef = AckScan & { stream: string; consumer: string };

/** Scan an ack subject (9-token v1 or ≥11-token v2 form) without splitting it. */
export function scanAckSubject(subject: string): AckScan | undefined {
  if (!subject.startsWith("$JS.ACK.")) return undefined;
  let n = 0;
  for (let i = subject.indexOf("."); i >= 0 && n < dots.length; i = subject.indexOf(".", i + 1)) dots[n++] = i;
  const base = n === 8 ? 2 : n >= 10 ? 4 : -1; // 9 tokens, or 11 and more
  if (base < 0) return undefined;
  // Token k spans [dots[k-1] + 1, dots[k]); the tokens used here are never the last one.
  const deliveries = parseUintAt(subject, dots[base + 1]! + 1, dots[base + 2]!);
  const streamSeq = parseUintAt(subject, dots[base + 2]! + 1, dots[base + 3]!);
  const consumerSeq = parseUintAt(subject, dots[base + 3]! + 1, dots[base + 4]!);
  if (deliveries < 0 || !Number.isSafeInteger(streamSeq) || streamSeq < 0 || !Number.isSafeInteger(consumerSeq) || consumerSeq < 0) return undefined;
  const streamStart = dots[base - 1]! + 1;
  const consumerStart = dots[base]! + 1;
  const prefixEnd = dots[base + 1]! + 1;
  if (consumerStart - 1 === streamStart || prefixEnd - 1 === consumerStart) return undefined; // empty names
  const ts = parseUintAt(subject, dots[base + 4]! + 1, dots[base + 5]!);
  return { deliveries, streamSeq, consumerSeq, tsMs: ts > 0 ? ts / 1e6 : 0, streamStart, consumerStart, prefixEnd };
}

/** Parse an ack subject, names included. */
export function parseAckSubject(subject: string): AckRef | undefined {
  const scan = scanAckSubject(subject);
  if (scan === undefined) return undefined;
  return { ...scan, stream: subject.slice(scan.streamStart, scan.consumerStart - 1), consumer: subject.slice(scan.consumerStart, scan.prefixEnd - 1) };
}

export type AckKind =
  | { kind: "ack" }
  | { kind: "nak"; delayNs: number }
  | { kind: "progress" }
  | { kind: "next"; request: Uint8Array }
  | { kind: "term"; reason: string };

const plusAck = [0x2b, 0x41, 0x43, 0x4b]; // "+ACK"
const plainAck: AckKind = Object.freeze({ kind: "ack" });

export function parseAckPayload(payload: Uint8Array): AckKind | undefined {
  // The common case, decided on the bytes: an empty payload or exactly "+ACK".
  if (payload.length === 0) return plainAck;
  if (payload.length === 4 && payload[0] === plusAck[0] && payload[1] === plusAck[1] && payload[2] === plusAck[2] && payload[3] === plusAck[3]) return plainAck;
  const text = decoder.decode(payload);
  if (text === "" || text.startsWith("+ACK") || text === "+OK") return plainAck;
  if (text.startsWith("-NAK")) {
    const rest = text.slice(4).trim();
    if (rest === "") return { kind: "nak", delayNs: 0 };
    if (rest.startsWith("{")) {
      try {
        const j = JSON.parse(rest) as { delay?: unknown };
        return { kind: "nak", delayNs: typeof j.delay === "number" && j.delay > 0 ? j.delay : 0 };
      } catch {
        return { kind: "nak", delayNs: 0 };
      }
    }
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(rest);
    const mult: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    return { kind: "nak", delayNs: m ? Number(m[1]) * mult[m[2]!]! : 0 };
  }
  if (text.startsWith("+WPI")) return { kind: "progress" };
  if (text.startsWith("+NXT")) return { kind: "next", request: new TextEncoder().encode(text.slice(4).trim()) };
  if (text.startsWith("+TERM")) return { kind: "term", reason: text.slice(5).trim() };
  return undefined;
}
