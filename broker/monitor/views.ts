/**
 * The monitoring endpoints' JSON bodies, with nats-server's field names and units (durations as
 * integer nanoseconds in /varz config fields, Go duration strings for uptime/idle/rtt, RFC 3339
 * times with nanoseconds). Pure: snapshot + query + now in, object out.
 */
import type { ConnView, Counters, MonitorSource, ServerFacts } from "./source.js";

export type Query = URLSearchParams;

export class BadRequest extends Error {}

export function rfc3339(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-01-02T03:04:05.123Z
  return iso.slice(0, -1) + "000000Z";
}

/** Go's time.Duration.String() for a millisecond value (rounded to microseconds). */
export function goDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1) return `${trim((ms * 1000).toFixed(3))}µs`;
  if (ms < 1000) return `${trim(ms.toFixed(6))}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const s = `${trim(rest.toFixed(3))}s`;
  return (h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m` : "") + s;
}

function trim(n: string): string {
  return n.includes(".") ? n.replace(/0+$/, "").replace(/\.$/, "") : n;
}

/** nats-server's uptime format: "1d2h3m4s", "5m3s", "3s". */
export function uptime(ms: number): string {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d${h}h${m}m${s}s`;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

const ns = (ms: number): number => Math.round(ms * 1_000_000);

/** Go strconv.ParseBool, as nats-server parses monitoring flags. */
export function parseBool(q: Query, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === "") return false;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw new BadRequest(`invalid value ${JSON.stringify(v)} for ${name}`);
}

function parseInt0(q: Query, name: string, dflt: number): number {
  const v = q.get(name);
  if (v === null || v === "") return dflt;
  if (!/^\d+$/.test(v)) throw new BadRequest(`invalid value ${JSON.stringify(v)} for ${name}`);
  return Number(v);
}

export interface ProcessStats {
  mem: number;
  cores: number;
  cpu: number;
}

export function varz(f: ServerFacts, c: Counters, p: ProcessStats, httpReqStats: Record<string, number>, nowMs: number): object {
  const js = f.jetstream;
  return {
    server_id: f.server_id,
    server_name: f.server_name,
    version: f.version,
    proto: 1,
    go: f.go,
    host: f.host,
    port: f.port,
    auth_required: f.auth_required || undefined,
    tls_required: f.tls_required || undefined,
    tls_verify: f.tls_verify || undefined,
    max_connections: f.max_connections,
    max_subscriptions: f.max_subscriptions || undefined,
    ping_interval: ns(f.ping_interval_ms),
    ping_max: f.ping_max,
    http_host: f.http_host,
    http_port: f.http_port,
    http_base_path: "",
    https_port: 0,
    auth_timeout: f.auth_timeout_ms / 1000,
    max_control_line: f.max_control_line,
    max_payload: f.max_payload,
    max_pending: f.max_pending,
    cluster: f.cluster ?? {},
    gateway: {},
    leaf: {},
    mqtt: {},
    websocket: {},
    jetstream: js.enabled
      ? {
          config: { max_memory: js.max_memory, max_storage: js.max_storage, store_dir: js.store_dir, sync_interval: ns(js.sync_interval_ms), sync_always: js.sync_always, ...(js.domain === undefined ? {} : { domain: js.domain }) },
          // nats-server always sends stats with config; clients (natscli `server info`) rely on it.
          stats: f.jetstream_stats ?? { memory: 0, storage: 0, reserved_memory: 0, reserved_storage: 0, accounts: 0, ha_assets: 0, api: { level: 0, total: 0, errors: 0 } },
        }
      : {},
    tls_timeout: 2,
    write_deadline: ns(f.write_deadline_ms),
    start: rfc3339(f.startMs),
    now: rfc3339(nowMs),
    uptime: uptime(nowMs - f.startMs),
    mem: p.mem,
    cores: p.cores,
    gomaxprocs: p.cores,
    cpu: p.cpu,
    connections: c.connections,
    total_connections: c.total_connections,
    routes: 0,
    remotes: 0,
    leafnodes: 0,
    in_msgs: c.in_msgs,
    out_msgs: c.out_msgs,
    in_bytes: c.in_bytes,
    out_bytes: c.out_bytes,
    slow_consumers: c.slow_consumers,
    subscriptions: c.subscriptions,
    http_req_stats: httpReqStats,
    config_load_time: rfc3339(f.startMs),
    connect_urls: f.connect_urls.length > 0 ? f.connect_urls : undefined,
    system_account: f.system_account,
    slow_consumer_stats: { clients: c.slow_consumers, routes: 0, gateways: 0, leafs: 0 },
    stale_connections: c.stale_connections,
    lame_duck_mode: f.lame_duck_mode || undefined,
  };
}

type SortKey = (a: ConnView) => number;
const sorters: Record<string, { key: SortKey; desc: boolean }> = {
  cid: { key: (a) => a.cid, desc: false },
  start: { key: (a) => a.startMs, desc: false },
  subs: { key: (a) => a.subs.length, desc: true },
  pending: { key: (a) => a.pendingBytes, desc: true },
  msgs_to: { key: (a) => a.outMsgs, desc: true },
  msgs_from: { key: (a) => a.inMsgs, desc: true },
  bytes_to: { key: (a) => a.outBytes, desc: true },
  bytes_from: { key: (a) => a.inBytes, desc: true },
  last: { key: (a) => a.lastActivityMs, desc: true },
  idle: { key: (a) => -a.lastActivityMs, desc: true },
  uptime: { key: (a) => -a.startMs, desc: true },
  stop: { key: (a) => a.stopMs ?? 0, desc: true },
  reason: { key: (a) => (a.reason ?? "").length, desc: false },
  rtt: { key: (a) => a.rttMs, desc: true },
};

export function connz(src: MonitorSource, q: Query, nowMs: number): object {
  const state = q.get("state") ?? "open";
  if (!["open", "closed", "any", "all"].includes(state)) throw new BadRequest(`invalid state ${JSON.stringify(state)}`);
  const sortName = q.get("sort") ?? "cid";
  const sorter = sorters[sortName];
  if (sorter === undefined) throw new BadRequest(`invalid sorting option ${JSON.stringify(sortName)}`);
  if ((sortName === "stop" || sortName === "reason") && state === "open") throw new BadRequest(`sort by ${sortName} only valid on closed connections`);
  const subsParam = q.get("subs");
  const detail = subsParam === "detail";
  const subs = detail || parseBool(q, "subs");
  const auth = parseBool(q, "auth");
  const offset = parseInt0(q, "offset", 0);
  const limit = parseInt0(q, "limit", 1024) || 1024;
  const cidFilter = parseInt0(q, "cid", 0);
  const userFilter = q.get("user");
  let all: ConnView[] = [];
  if (state !== "closed") all.push(...src.openConnections());
  if (state !== "open") all.push(...src.closedConnections());
  if (cidFilter > 0) all = all.filter((c) => c.cid === cidFilter);
  if (userFilter !== null && userFilter !== "") all = all.filter((c) => c.user === userFilter);
  const { key, desc } = sorter;
  all.sort((a, b) => (desc ? key(b) - key(a) : key(a) - key(b)) || a.cid - b.cid);
  const page = all.slice(offset, offset + limit);
  return {
    server_id: src.facts().server_id,
    now: rfc3339(nowMs),
    num_connections: page.length,
    total: all.length,
    offset,
    limit,
    connections: page.map((c) => connInfo(c, nowMs, subs, detail, auth)),
  };
}

function connInfo(c: ConnView, nowMs: number, subs: boolean, detail: boolean, auth: boolean): object {
  const end = c.stopMs ?? nowMs;
  return {
    cid: c.cid,
    kind: "Client",
    type: "nats",
    ip: c.ip,
    port: c.port,
    start: rfc3339(c.startMs),
    last_activity: rfc3339(c.lastActivityMs),
    stop: c.stopMs === undefined ? undefined : rfc3339(c.stopMs),
    reason: c.reason,
    rtt: goDuration(c.rttMs),
    uptime: uptime(end - c.startMs),
    idle: uptime(end - c.lastActivityMs),
    pending_bytes: c.pendingBytes,
    in_msgs: c.inMsgs,
    out_msgs: c.outMsgs,
    in_bytes: c.inBytes,
    out_bytes: c.outBytes,
    subscriptions: c.subs.length,
    name: c.name || undefined,
    lang: c.lang || undefined,
    version: c.version || undefined,
    tls_version: c.tls?.version,
    tls_cipher_suite: c.tls?.cipher,
    authorized_user: auth ? c.user : undefined,
    account: "$G",
    subscriptions_list: subs && !detail && c.subs.length > 0 ? c.subs.map((s) => s.subject) : undefined,
    subscriptions_list_detail:
      detail && c.subs.length > 0 ? c.subs.map((s) => ({ account: "$G", subject: s.subject, qgroup: s.queue, sid: s.sid, msgs: s.msgs, max: s.max > 0 ? s.max : undefined, cid: s.cid })) : undefined,
  };
}

export function subsz(src: MonitorSource, q: Query, nowMs: number): object {
  const s = src.sublistStats();
  const subs = parseBool(q, "subs");
  const offset = parseInt0(q, "offset", 0);
  const limit = parseInt0(q, "limit", 1024) || 1024;
  const test = q.get("test");
  let list = subs || (test !== null && test !== "") ? src.subscriptions() : [];
  if (test !== null && test !== "") list = list.filter((x) => matchesLiteral(x.subject, test));
  const page = list.slice(offset, offset + limit);
  return {
    server_id: src.facts().server_id,
    now: rfc3339(nowMs),
    num_subscriptions: s.num_subscriptions,
    num_cache: s.num_cache,
    num_inserts: s.num_inserts,
    num_removes: s.num_removes,
    num_matches: s.num_matches,
    cache_hit_rate: s.cache_hit_rate,
    max_fanout: s.max_fanout,
    avg_fanout: s.avg_fanout,
    total: list.length,
    offset,
    limit,
    subscriptions_list:
      page.length > 0 ? page.map((x) => ({ account: "$G", subject: x.subject, qgroup: x.queue, sid: x.sid, msgs: x.msgs, max: x.max > 0 ? x.max : undefined, cid: x.cid })) : undefined,
  };
}

function matchesLiteral(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

export function routez(src: MonitorSource, nowMs: number): object {
  const f = src.facts();
  return { server_id: f.server_id, server_name: f.server_name, now: rfc3339(nowMs), num_routes: 0, routes: [] };
}

export function jsz(src: MonitorSource, nowMs: number): object {
  const f = src.facts();
  const body = src.jsz();
  if (body === undefined) {
    return { server_id: f.server_id, now: rfc3339(nowMs), disabled: true, config: {}, memory: 0, storage: 0, reserved_memory: 0, reserved_storage: 0, accounts: 0, ha_assets: 0, api: { total: 0, errors: 0 } };
  }
  return { server_id: f.server_id, now: rfc3339(nowMs), ...body };
}

export function healthz(src: MonitorSource): { status: number; body: object } {
  const problems = src.healthProblems();
  if (problems.length === 0) return { status: 200, body: { status: "ok" } };
  return { status: 503, body: { status: "unavailable", error: problems.join("; ") } };
}
