/** `$JS.API.CONSUMER.*` handlers (create in all its subject forms, info, list, names, delete). */
import type { JsConsumer } from "../consumer/consumer.js";
import type { CreateAction, JetStream } from "../jetstream.js";
import { hasPathSeparator, isValidName } from "../names.js";
import { jsError } from "./errors.js";
import { errorResponse, page, parseBody, response } from "./shapes.js";

type Json = Record<string, unknown>;

export type CreateForm = { kind: "ephemeral" } | { kind: "named"; name: string; filter: string | undefined } | { kind: "durable"; name: string };

export function consumerInfo(js: JetStream, c: JsConsumer): Json {
  return c.info(js.deps.clock.nowNs(), undefined, js.deps.serverName);
}

export async function consumerCreate(js: JetStream, streamName: string, form: CreateForm, payload: Uint8Array): Promise<Json> {
  const kind = "consumer_create_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const req = body.value;
  if (typeof req["stream_name"] === "string" && req["stream_name"] !== "" && req["stream_name"] !== streamName) return errorResponse(kind, jsError("stream_name_mismatch"));
  const rawCfg = req["config"];
  if (typeof rawCfg !== "object" || rawCfg === null || Array.isArray(rawCfg)) return errorResponse(kind, jsError("consumer_config_required"));
  const cfg = { ...(rawCfg as Json) };
  const durable = typeof cfg["durable_name"] === "string" && cfg["durable_name"] !== "" ? cfg["durable_name"] : undefined;
  const cname = typeof cfg["name"] === "string" && cfg["name"] !== "" ? cfg["name"] : undefined;
  let name: string | undefined;
  if (form.kind === "ephemeral") {
    if (durable !== undefined) return errorResponse(kind, jsError("consumer_ephemeral_with_durable"));
    name = cname;
  } else {
    if (hasPathSeparator(form.name)) return errorResponse(kind, jsError("consumer_name_path_separators"));
    if (!isValidName(form.name)) return errorResponse(kind, jsError("consumer_bad_durable_name"));
    if (form.kind === "durable") {
      if (durable === undefined) return errorResponse(kind, jsError("consumer_durable_not_set"));
      if (durable !== form.name) return errorResponse(kind, jsError("consumer_durable_mismatch"));
    } else {
      if (durable !== undefined && durable !== form.name) return errorResponse(kind, jsError("consumer_durable_mismatch"));
      if (cname !== undefined && cname !== form.name) return errorResponse(kind, jsError("consumer_durable_mismatch"));
      if (form.filter !== undefined) {
        if (Array.isArray(cfg["filter_subjects"]) && cfg["filter_subjects"].length > 0) return errorResponse(kind, jsError("consumer_multiple_filters_not_allowed"));
        const fs = cfg["filter_subject"];
        if (typeof fs === "string" && fs !== "" && fs !== form.filter) return errorResponse(kind, jsError("consumer_filter_mismatch"));
        cfg["filter_subject"] = form.filter;
      }
    }
    name = form.name;
  }
  const stream = js.streams.get(streamName);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  const action = req["action"];
  const act: CreateAction = action === "create" || action === "update" ? action : "";
  const res = await js.addConsumer(stream, cfg, name, act, form.kind === "ephemeral");
  if ("body" in res) return errorResponse(kind, res);
  return response(kind, consumerInfo(js, res));
}

export function consumerInfoReq(js: JetStream, streamName: string, name: string, payload: Uint8Array): Json {
  const kind = "consumer_info_response";
  if (payload.length > 0 && new TextDecoder().decode(payload).trim() !== "") return errorResponse(kind, jsError("not_empty_request"));
  const stream = js.streams.get(streamName);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  const c = stream.consumers.get(name);
  if (c === undefined) return errorResponse(kind, jsError("consumer_not_found"));
  return response(kind, consumerInfo(js, c));
}

export async function consumerDelete(js: JetStream, streamName: string, name: string): Promise<Json> {
  const kind = "consumer_delete_response";
  const stream = js.streams.get(streamName);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  if (!(await js.deleteConsumer(stream, name))) return errorResponse(kind, jsError("consumer_not_found"));
  return response(kind, { success: true });
}

export function consumerNames(js: JetStream, streamName: string, payload: Uint8Array, list: boolean): Json {
  const kind = list ? "consumer_list_response" : "consumer_names_response";
  const body = parseBody(payload);
  if (!body.ok) return errorResponse(kind, jsError("invalid_json", body.error));
  const stream = js.streams.get(streamName);
  if (stream === undefined) return errorResponse(kind, jsError("stream_not_found"));
  const all = [...stream.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { items, ...paging } = page(body.value, all, list);
  return response(kind, {
    ...paging,
    consumers: list ? items.map((c) => consumerInfo(js, c)) : items.map((c) => c.name),
    ...(list ? { missing: [] } : {}),
  });
}
