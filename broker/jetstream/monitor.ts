/**
 * Monitoring data: the `/jsz` body (nats-server field names) and per-stream / per-consumer
 * gauges for Prometheus. The HTTP server belongs to broker/server; this only builds data.
 */
import type { Clock } from "../../common/clock.js";
import type { ServerOptions } from "../config/options.js";
import { settleAckFloor } from "./consumer/state.js";
import { rfc3339Nano } from "./headers.js";
import type { JetStream } from "./jetstream.js";

export interface JszOptions {
  streams?: boolean;
  consumers?: boolean;
  config?: boolean;
  accounts?: boolean;
}

export function jszReport(js: JetStream | undefined, options: ServerOptions, opts: JszOptions, clock: Clock): Record<string, unknown> {
  const now = rfc3339Nano(clock.nowNs());
  const cfg = options.jetstream;
  const config = {
    max_memory: cfg.max_memory_store_bytes > 0 ? cfg.max_memory_store_bytes : -1,
    max_storage: cfg.max_file_store_bytes > 0 ? cfg.max_file_store_bytes : -1,
    store_dir: cfg.store_dir,
    sync_interval: cfg.sync_interval_ms * 1e6,
    sync_always: cfg.sync === "always",
    ...(cfg.domain !== undefined ? { domain: cfg.domain } : {}),
  };
  if (js === undefined) return { server_id: options.server_name, now, disabled: true, config };
  let memory = 0;
  let storage = 0;
  let messages = 0;
  let bytes = 0;
  let consumers = 0;
  const streamDetails: Array<Record<string, unknown>> = [];
  for (const s of js.streams.values()) {
    const st = s.store.state();
    if (s.config.storage === "memory") memory += st.bytes;
    else storage += st.bytes;
    messages += st.msgs;
    bytes += st.bytes;
    consumers += s.consumers.size;
    if (opts.streams === true || opts.accounts === true) {
      const d: Record<string, unknown> = { name: s.name, created: rfc3339Nano(s.createdNs), state: s.state() };
      if (opts.config === true) d["config"] = s.config;
      if (opts.consumers === true) d["consumer_detail"] = [...s.consumers.values()].map((c) => c.info(clock.nowNs(), undefined, options.server_name));
      if (st.damage.length > 0) d["damage"] = st.damage;
      streamDetails.push(d);
    }
  }
  const out: Record<string, unknown> = {
    server_id: options.server_name,
    now,
    config,
    memory,
    storage,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 1,
    ha_assets: 0,
    api: { level: 0, total: js.apiTotal, errors: js.apiErrors },
    streams: js.streams.size,
    consumers,
    messages,
    bytes,
    total: js.streams.size,
  };
  if (streamDetails.length > 0) out["account_details"] = [{ name: "$G", id: "$G", memory, storage, stream_detail: streamDetails }];
  return out;
}

export interface JsMetricsSample {
  streams: Array<{ stream: string; messages: number; bytes: number; first_seq: number; last_seq: number; consumers: number }>;
  consumers: Array<{ stream: string; consumer: string; num_pending: number; num_ack_pending: number; num_redelivered: number; num_waiting: number; delivered_stream_seq: number; ack_floor_stream_seq: number }>;
}

/** Point-in-time numbers for a metrics registry (gauges keyed by stream/consumer labels). */
export function metricsSample(js: JetStream | undefined): JsMetricsSample {
  const out: JsMetricsSample = { streams: [], consumers: [] };
  if (js === undefined) return out;
  for (const s of js.streams.values()) {
    const st = s.store.state();
    out.streams.push({ stream: s.name, messages: st.msgs, bytes: st.bytes, first_seq: st.first_seq, last_seq: st.last_seq, consumers: s.consumers.size });
    for (const c of s.consumers.values()) {
      settleAckFloor(c.state);
      let redelivered = 0;
      for (const e of c.state.pending.values()) if (e.deliveries > 1) redelivered++;
      out.consumers.push({
        stream: s.name,
        consumer: c.name,
        num_pending: c.numPending(),
        num_ack_pending: c.state.pending.size,
        num_redelivered: redelivered,
        num_waiting: c.waiting.length,
        delivered_stream_seq: c.state.deliveredStreamSeq,
        ack_floor_stream_seq: c.state.ackFloorStreamSeq,
      });
    }
  }
  return out;
}
