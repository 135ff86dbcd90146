/**
 * What monitoring reads from the server: plain snapshots, so views are pure functions and the
 * monitor never touches sockets or the router. broker/server implements MonitorSource.
 */
import type { SublistStats } from "../subjects/sublist.js";

export interface SubView {
  subject: string;
  queue: string | undefined;
  sid: string;
  msgs: number;
  max: number;
  cid: number;
}

export interface ConnView {
  cid: number;
  ip: string;
  port: number;
  startMs: number;
  lastActivityMs: number;
  /** Closed connections only. */
  stopMs: number | undefined;
  reason: string | undefined;
  rttMs: number;
  pendingBytes: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  subs: SubView[];
  name: string;
  lang: string;
  version: string;
  user: string | undefined;
  tls: { version: string; cipher: string } | undefined;
}

export interface Counters {
  connections: number;
  total_connections: number;
  slow_consumers: number;
  stale_connections: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
}

/** Static-ish server facts for /varz (limits already in nats-server's units where they differ). */
export interface ServerFacts {
  server_id: string;
  server_name: string;
  version: string;
  go: string;
  host: string;
  port: number;
  auth_required: boolean;
  tls_required: boolean;
  tls_verify: boolean;
  max_connections: number;
  ping_interval_ms: number;
  ping_max: number;
  http_host: string;
  http_port: number;
  auth_timeout_ms: number;
  max_control_line: number;
  max_payload: number;
  max_pending: number;
  write_deadline_ms: number;
  max_subscriptions: number;
  lame_duck_mode: boolean;
  connect_urls: string[];
  system_account: string;
  startMs: number;
  cluster: { name: string; addr: string; cluster_port: number; urls: string[] } | undefined;
  jetstream: { enabled: boolean; store_dir: string; max_memory: number; max_storage: number; domain: string | undefined; sync_interval_ms: number; sync_always: boolean };
  /** Usage figures from the JetStream service's /jsz body (varz `jetstream.stats`); undefined when not running. */
  jetstream_stats?: JetStreamStats;
}

export interface JetStreamStats {
  memory: number;
  storage: number;
  reserved_memory: number;
  reserved_storage: number;
  accounts: number;
  ha_assets: number;
  api: { level: number; total: number; errors: number };
}

export interface MonitorSource {
  facts(): ServerFacts;
  counters(): Counters;
  openConnections(): ConnView[];
  closedConnections(): ConnView[];
  sublistStats(): SublistStats;
  subscriptions(): SubView[];
  /** /jsz body from the JetStream service; undefined when JetStream is not running. */
  jsz(): object | undefined;
  /** Problems that make /healthz unhealthy (empty = ok). */
  healthProblems(): string[];
}
