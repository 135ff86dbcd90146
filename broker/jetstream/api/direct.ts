/**
 * `$JS.API.DIRECT.GET.<stream>` (JSON request) and `$JS.API.DIRECT.GET.<stream>.<subject>`
 * (last message on subject): replies are raw messages with Nats-Stream/Subject/Sequence/
 * Time-Stamp headers, or status messages (404/408/204 EOB).
 */
import type { Bus } from "../../core/bus.js";
import type { StoredMessage } from "../../store/types.js";
import { appendHeaders, rfc3339Nano, statusHeaders } from "../headers.js";
import type { JetStream } from "../jetstream.js";
import type { JsStream } from "../stream/stream.js";
import { parseBody } from "./shapes.js";
import { lookupMessage } from "./stream-api.js";

/** Messages one batch request may return. */
export const directBatchMax = 1024;

function send(bus: Bus, reply: string, stream: JsStream, m: StoredMessage, extra: Array<[string, string]>, noHdr: boolean): void {
  const base: Array<[string, string]> = [
    ["Nats-Stream", stream.name],
    ["Nats-Subject", m.subject],
    ["Nats-Sequence", String(m.seq)],
    ["Nats-Time-Stamp", rfc3339Nano(m.ts_ns)],
  ];
  bus.publish(reply, undefined, appendHeaders(noHdr ? undefined : m.headers, [...base, ...extra]), m.payload);
}

function status(bus: Bus, reply: string, code: number, description: string, extra: Array<[string, string]> = []): void {
  bus.publish(reply, undefined, statusHeaders(code, description, extra), new Uint8Array(0));
}

export async function directGet(js: JetStream, bus: Bus, streamName: string, subjectTail: string | undefined, payload: Uint8Array, reply: string): Promise<void> {
  const stream = js.streams.get(streamName);
  if (stream === undefined || !(stream.config.allow_direct || stream.config.mirror_direct)) {
    // nats-server only listens when allow_direct is set: behave like "no responders".
    status(bus, reply, 503, "");
    return;
  }
  if (subjectTail !== undefined) {
    if (payload.length > 0) return status(bus, reply, 408, "Bad Request");
    const m = await stream.store.lastBySubject(subjectTail);
    if (m === undefined) return status(bus, reply, 404, "Message Not Found");
    return send(bus, reply, stream, m, [], false);
  }
  if (payload.length === 0) return status(bus, reply, 408, "Empty Request");
  const body = parseBody(payload);
  if (!body.ok) return status(bus, reply, 408, "Malformed Request");
  const r = body.value;
  const noHdr = r["no_hdr"] === true;
  const batch = typeof r["batch"] === "number" && r["batch"] > 0 ? Math.min(r["batch"], directBatchMax) : 0;
  const multiLast = Array.isArray(r["multi_last"]) ? (r["multi_last"] as unknown[]).filter((x): x is string => typeof x === "string") : [];
  if (multiLast.length > 0) return multiLastGet(stream, bus, reply, multiLast, r, noHdr);
  if (batch > 0) {
    const filter = typeof r["next_by_subj"] === "string" && r["next_by_subj"] !== "" ? r["next_by_subj"] : undefined;
    let seq = typeof r["seq"] === "number" && r["seq"] > 0 ? r["seq"] : 1;
    const maxBytes = typeof r["max_bytes"] === "number" && r["max_bytes"] > 0 ? r["max_bytes"] : Infinity;
    let sent = 0;
    let bytes = 0;
    let last = 0;
    while (sent < batch) {
      const m = await stream.store.next(seq, filter);
      if (m === undefined) break;
      bytes += m.payload.length + (m.headers?.length ?? 0);
      if (bytes > maxBytes && sent > 0) break;
      seq = m.seq + 1;
      const pending = stream.store.numPending(seq, filter);
      send(bus, reply, stream, m, [["Nats-Num-Pending", String(pending)], ["Nats-Last-Sequence", String(last)]], noHdr);
      last = m.seq;
      sent++;
    }
    if (sent === 0) return status(bus, reply, 404, "Message Not Found");
    status(bus, reply, 204, "EOB", [["Nats-Num-Pending", String(stream.store.numPending(seq, filter))], ["Nats-Last-Sequence", String(last)]]);
    return;
  }
  const m = await lookupMessage(stream, r);
  if (m === "bad") return status(bus, reply, 408, "Bad Request");
  if (m === undefined) return status(bus, reply, 404, "Message Not Found");
  send(bus, reply, stream, m, [], noHdr);
}

async function multiLastGet(stream: JsStream, bus: Bus, reply: string, filters: string[], r: Record<string, unknown>, noHdr: boolean): Promise<void> {
  const upTo = typeof r["up_to_seq"] === "number" && r["up_to_seq"] > 0 ? r["up_to_seq"] : Infinity;
  const found: StoredMessage[] = [];
  const subjects = new Set<string>();
  for (const f of filters) for (const s of stream.store.subjectCounts(f).keys()) subjects.add(s);
  if (subjects.size > directBatchMax) return status(bus, reply, 413, "Too Many Results");
  for (const s of subjects) {
    let m = await stream.store.lastBySubject(s);
    if (m !== undefined && m.seq > upTo) {
      // Walk forward to the last one at or below up_to_seq.
      let cur = await stream.store.next(1, s);
      let best: StoredMessage | undefined;
      while (cur !== undefined && cur.seq <= upTo) {
        best = cur;
        cur = await stream.store.next(cur.seq + 1, s);
      }
      m = best;
    }
    if (m !== undefined) found.push(m);
  }
  if (found.length === 0) return status(bus, reply, 404, "No Results");
  found.sort((a, b) => a.seq - b.seq);
  let last = 0;
  found.forEach((m, i) => {
    send(bus, reply, stream, m, [["Nats-Num-Pending", String(found.length - i - 1)], ["Nats-Last-Sequence", String(last)]], noHdr);
    last = m.seq;
  });
  status(bus, reply, 204, "EOB", [["Nats-Num-Pending", "0"], ["Nats-Last-Sequence", String(last)]]);
}
