/** `$JS.API.STREAM.*` handlers: create/update/delete/info/list/names/purge/msg get/msg delete. */
import type { StoredMessage } from "../../store/types.js";
import { rfc3339Nano } from "../headers.js";
import type { JetStream } from "../jetstream.js";
import { isValidName } from "../names.js";
import { normalizeStreamConfig } from "../stream/config.js";
import type { JsStream } from "../stream/stream.js";
import { storeErrorToApi } from "../stream/stream.js";
import { subjectsOverlap } from "../subjects.js";
import { jsError } from "./errors.js";
import { errorResponse, page, parseBody, response, streamInfo } from "./shapes.js";

type Json = Record<string, unknown>;


export async function streamCreate(js: JetStream, name: string, payload: Uint8Array, update: boolean): Promise<Json> {
  const kind = update ? "stream_update_response" : "stream_create_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  if (new TextDecoder().decode(payload).trim() === "") return errorResponse(kind, jsError("invalid_json", "unexpected end of JSON input"));
  const raw = body.value;
  if (raw["name"] === undefined || raw["name"] === "") raw["name"] = name;
  if (raw["name"] !== name) return errorResponse(kind, jsError("stream_name_mismatch"));
  const cfg = normalizeStreamConfig(raw);
  if ("body" in cfg) return errorResponse(kind, cfg);
  if (update) {
    const res = await js.updateStream(cfg);
    if ("body" in res) return errorResponse(kind, res);
    return response(kind, streamInfo(js, res));
  }
  const res = await js.createStream(cfg);
  if ("body" in res) return errorResponse(kind, res);
  return response(kind, { ...streamInfo(js, res.stream), ...(res.created ? { did_create: true } : {}) });
}

export async function streamDelete(js: JetStream, name: string, payload: Uint8Array): Promise<Json> {
  const kind = "stream_delete_response";
  if (payload.length > 0) return errorResponse(kind, jsError("not_empty_request"));
  if (!(await js.deleteStream(name))) return errorResponse(kind, jsError("stream_not_found"));
  return response(kind, { success: true });
}

export function streamInfoReq(js: JetStream, name: string, payload: Uint8Array): Json {
  const kind = "stream_info_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const stream = js.streams.get(name);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  const filter = typeof body.value["subjects_filter"] === "string" ? body.value["subjects_filter"] : undefined;
  const info = streamInfo(js, stream, filter !== undefined ? { subjectsFilter: filter } : {});
  if (filter !== undefined) {
    const st = info["state"] as Json;
    const subjects = (st["subjects"] ?? {}) as Json;
    const total = Object.keys(subjects).length;
    return response(kind, { total, offset: 0, limit: Math.max(total, 100_000), ...info });
  }
  return response(kind, info);
}

function matchingStreams(js: JetStream, subject: unknown): JsStream[] {
  const all = [...js.streams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (typeof subject !== "string" || subject === "") return all;
  return all.filter((s) => (s.config.subjects ?? []).some((x) => subjectsOverlap(x, subject)));
}

export function streamNames(js: JetStream, payload: Uint8Array, list: boolean): Json {
  const kind = list ? "stream_list_response" : "stream_names_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const { items, ...paging } = page(body.value, matchingStreams(js, body.value["subject"]), list);
  return response(kind, {
    ...paging,
    streams: list ? items.map((s) => streamInfo(js, s)) : items.map((s) => s.name),
    ...(list ? { missing: [] } : {}),
  });
}

export async function streamPurge(js: JetStream, name: string, payload: Uint8Array): Promise<Json> {
  const kind = "stream_purge_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const stream = js.streams.get(name);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  if (stream.config.sealed) return errorResponse(kind, jsError("stream_sealed"));
  if (stream.config.deny_purge) return errorResponse(kind, jsError("stream_purge_failed", "stream purge not permitted"));
  const r = body.value;
  const seq = typeof r["seq"] === "number" ? r["seq"] : 0;
  const keep = typeof r["keep"] === "number" ? r["keep"] : 0;
  if (seq > 0 && keep > 0) return errorResponse(kind, jsError("bad_request"));
  const filter = typeof r["filter"] === "string" && r["filter"] !== "" ? r["filter"] : undefined;
  await stream.settle();
  try {
    const purged = await stream.store.purge({ ...(filter !== undefined ? { filter } : {}), ...(seq > 0 ? { up_to_seq: seq } : {}), ...(keep > 0 ? { keep } : {}) });
    for (const c of stream.consumers.values()) c.onPurge();
    return response(kind, { success: true, purged });
  } catch (err) {
    return errorResponse(kind, jsError("stream_purge_failed", storeErrorToApi(err).body.description));
  }
}

export function messageJson(m: StoredMessage): Json {
  const out: Json = { subject: m.subject, seq: m.seq };
  if (m.headers !== undefined && m.headers.length > 0) out["hdrs"] = Buffer.from(m.headers).toString("base64");
  if (m.payload.length > 0) out["data"] = Buffer.from(m.payload).toString("base64");
  out["time"] = rfc3339Nano(m.ts_ns);
  return out;
}

/** Resolve a get request (`seq` | `last_by_subj` | `next_by_subj`+`seq` | `start_time`). */
export async function lookupMessage(stream: JsStream, r: Json): Promise<StoredMessage | undefined | "bad"> {
  const seq = typeof r["seq"] === "number" ? r["seq"] : 0;
  const last = typeof r["last_by_subj"] === "string" ? r["last_by_subj"] : "";
  const next = typeof r["next_by_subj"] === "string" ? r["next_by_subj"] : "";
  const startTime = typeof r["start_time"] === "string" ? r["start_time"] : "";
  if (last !== "") {
    if (seq > 0 || next !== "") return "bad";
    return stream.store.lastBySubject(last);
  }
  if (next !== "") return stream.store.next(Math.max(1, seq), next);
  if (startTime !== "") {
    const ms = Date.parse(startTime);
    if (Number.isNaN(ms)) return "bad";
    const s = await stream.store.firstAtOrAfterTime(BigInt(ms) * 1_000_000n);
    return s > 0 ? stream.store.get(s) : undefined;
  }
  if (seq > 0) return stream.store.get(seq);
  return "bad";
}

export async function streamMsgGet(js: JetStream, name: string, payload: Uint8Array): Promise<Json> {
  const kind = "stream_msg_get_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const stream = js.streams.get(name);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  const m = await lookupMessage(stream, body.value);
  if (m === "bad") return errorResponse(kind, jsError("bad_request"));
  if (m === undefined) return errorResponse(kind, jsError("no_message_found"));
  return response(kind, { message: messageJson(m) });
}

export async function streamMsgDelete(js: JetStream, name: string, payload: Uint8Array): Promise<Json> {
  const kind = "stream_msg_delete_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const stream = js.streams.get(name);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  if (stream.config.sealed) return errorResponse(kind, jsError("stream_sealed"));
  if (stream.config.deny_delete) return errorResponse(kind, jsError("stream_msg_delete_failed", "message delete not permitted"));
  const seq = body.value["seq"];
  if (typeof seq !== "number" || seq <= 0) return errorResponse(kind, jsError("bad_request"));
  await stream.settle();
  const removed = await stream.store.delete(seq, { erase: body.value["no_erase"] !== true });
  if (!removed) return errorResponse(kind, jsError("sequence_not_found", seq));
  stream.priorities.delete(seq);
  for (const c of stream.consumers.values()) c.onPurge();
  return response(kind, { success: true });
}

export { isValidName };
