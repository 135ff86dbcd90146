/** JSON response shapes shared by the API handlers (`type` strings as nats-server sends them). */
import { rfc3339Nano } from "../headers.js";
import type { JetStream } from "../jetstream.js";
import type { JsStream } from "../stream/stream.js";
import type { JsApiError } from "./errors.js";

export const typePrefix = "io.nats.jetstream.api.v1.";

export function response(kind: string, body: Record<string, unknown>): Record<string, unknown> {
  return { type: typePrefix + kind, ...body };
}

export function errorResponse(kind: string, err: JsApiError): Record<string, unknown> {
  return { type: typePrefix + kind, error: err.body };
}

export function streamInfo(js: JetStream, stream: JsStream, opts: { subjectsFilter?: string } = {}): Record<string, unknown> {
  const info: Record<string, unknown> = {
    config: stream.config,
    created: rfc3339Nano(stream.createdNs),
    state: stream.state(opts),
    cluster: { leader: js.deps.serverName },
    ts: rfc3339Nano(js.deps.clock.nowNs()),
  };
  const src = js.sources.info(stream.name);
  if (src.mirror !== undefined) info["mirror"] = src.mirror;
  if (src.sources !== undefined) info["sources"] = src.sources;
  if (js.deps.domain !== undefined) info["domain"] = js.deps.domain;
  return info;
}

/** Parse a JSON request body; empty bodies parse as `{}`. */
export function parseBody(payload: Uint8Array): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const text = new TextDecoder().decode(payload).trim();
  if (text === "") return { ok: true, value: {} };
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: "json: cannot unmarshal into Go value of type object" };
    return { ok: true, value: v as Record<string, unknown> };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Page sizes of nats-server's NAMES and LIST responses. */
export const namesPageSize = 1024;
export const listPageSize = 256;

/** One page of a NAMES/LIST response: the request's `offset` (ignored unless a positive number). */
export function page<T>(request: Record<string, unknown>, all: readonly T[], list: boolean): { total: number; offset: number; limit: number; items: T[] } {
  const raw = request["offset"];
  const offset = typeof raw === "number" && raw > 0 ? Math.floor(raw) : 0;
  const limit = list ? listPageSize : namesPageSize;
  return { total: all.length, offset, limit, items: all.slice(offset, offset + limit) };
}
