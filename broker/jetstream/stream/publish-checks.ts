/**
 * The pure part of storing a published message: header expectations, dedup lookups, rollup
 * parsing and size checks, in nats-server's order. Inputs are plain values; the stream shell
 * supplies them and acts on the verdict.
 */
import { jsError, type JsApiError } from "../api/errors.js";
import type { ParsedHeaders } from "../headers.js";
import { headerValue } from "../headers.js";
import type { StreamConfig } from "./config.js";

export const headerBytesMax = 64 * 1024;

export interface PublishFacts {
  lastSeq: () => number;
  lastMsgId: string | undefined;
}

export type PublishVerdict =
  | { kind: "store"; msgId: string | undefined; rollup: "sub" | "all" | undefined; priority: number | undefined }
  | { kind: "error"; error: JsApiError }
  /** Expected-Last-Subject-Sequence needs the last sequence on `filter` (a store read): ask again with it. */
  | { kind: "needs_subject_seq"; filter: string };

/** Headers whose checks need the stream's current state (so the message must wait for earlier appends). */
export function needsSerialCheck(h: ParsedHeaders): boolean {
  return h.entries.some(([k]) => k.startsWith("Nats-Expected-Last") || k === "Nats-Rollup");
}

/**
 * Synchronous, so the common publish costs no promise. Called a second time with
 * `lastSubjectSeq` when the first answer is `needs_subject_seq`.
 */
export function checkPublish(
  cfg: StreamConfig,
  subject: string,
  h: ParsedHeaders,
  headerBytes: number,
  payloadBytes: number,
  facts: PublishFacts,
  lastSubjectSeq?: number,
): PublishVerdict {
  const fail = (error: JsApiError): PublishVerdict => ({ kind: "error", error });
  if (cfg.sealed) return fail(jsError("stream_sealed"));
  if (headerBytes > headerBytesMax) return fail(jsError("header_too_large"));
  if (cfg.max_msg_size > 0 && headerBytes + payloadBytes > cfg.max_msg_size) return fail(jsError("stream_message_too_large"));
  const expStream = headerValue(h, "Nats-Expected-Stream");
  if (expStream !== undefined && expStream !== cfg.name) return fail(jsError("expected_stream_mismatch"));
  const ttl = headerValue(h, "Nats-TTL");
  if (ttl !== undefined && !cfg.allow_msg_ttl) return fail(jsError("msg_ttl_disabled"));
  const expSubjSeq = headerValue(h, "Nats-Expected-Last-Subject-Sequence");
  if (expSubjSeq !== undefined) {
    const want = Number(expSubjSeq);
    if (!Number.isInteger(want) || want < 0) return fail(jsError("wrong_last_sequence_constant"));
    const filter = headerValue(h, "Nats-Expected-Last-Subject-Sequence-Subject") ?? subject;
    if (lastSubjectSeq === undefined) return { kind: "needs_subject_seq", filter };
    if (lastSubjectSeq !== want) return fail(jsError("wrong_last_sequence", lastSubjectSeq));
  }
  const expSeq = headerValue(h, "Nats-Expected-Last-Sequence");
  if (expSeq !== undefined) {
    const want = Number(expSeq);
    const last = facts.lastSeq();
    if (!Number.isInteger(want) || want !== last) return fail(jsError("wrong_last_sequence", last));
  }
  const msgId = headerValue(h, "Nats-Msg-Id");
  const expMsgId = headerValue(h, "Nats-Expected-Last-Msg-Id");
  if (expMsgId !== undefined && expMsgId !== (facts.lastMsgId ?? "")) return fail(jsError("wrong_last_msg_id", facts.lastMsgId ?? ""));
  let rollup: "sub" | "all" | undefined;
  const rollupValue = headerValue(h, "Nats-Rollup");
  if (rollupValue !== undefined) {
    if (!cfg.allow_rollup_hdrs) return fail(jsError("stream_rollup_failed", "rollup not permitted"));
    if (rollupValue === "sub") rollup = "sub";
    else if (rollupValue === "all") rollup = "all";
    else return fail(jsError("stream_rollup_failed", `rollup value invalid: "${rollupValue}"`));
  }
  let priority: number | undefined;
  if (cfg.sluice_priority) {
    const p = headerValue(h, "Sluice-Priority");
    if (p !== undefined) {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 0 || n > 9) return fail(jsError("bad_request"));
      priority = n;
    }
  }
  return { kind: "store", msgId: msgId !== undefined && msgId !== "" ? msgId : undefined, rollup, priority };
}

/**
 * PubAck bodies, byte-compatible with nats-server (note the space in `"duplicate": true`). A
 * success is this prefix + seq + `}` (streams keep the prefix: acks differ only in the number).
 */
export function pubAckOkPrefix(stream: string, domain: string | undefined): string {
  return domain === undefined ? `{"stream":${JSON.stringify(stream)},"seq":` : `{"stream":${JSON.stringify(stream)},"domain":${JSON.stringify(domain)},"seq":`;
}

export function pubAckDuplicate(stream: string, seq: number, domain?: string): string {
  const d = domain === undefined ? "" : `"domain":${JSON.stringify(domain)},`;
  return `{"stream":${JSON.stringify(stream)},${d}"seq":${seq},"duplicate": true}`;
}

export function pubAckError(stream: string, error: JsApiError): string {
  return `{"error":${JSON.stringify(error.body)},"stream":${JSON.stringify(stream)},"seq":0}`;
}
