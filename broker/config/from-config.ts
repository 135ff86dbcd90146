/**
 * Top-level config keys → `ServerOptions`. Keys and aliases follow nats-server's opts.go; see
 * README.md for the list and for Sluice's extensions. Cross-key checks live in `validate.ts`.
 */
import type { ConfMap, ConfValue } from "./ast.js";
import { parseAccounts, parseAuthorization } from "./auth.js";
import { parseCluster, parseJetStream, parseTls } from "./blocks.js";
import type { ServerOptions } from "./options.js";
import {
  expectBool,
  expectDurationMs,
  expectHostPort,
  expectInt,
  expectPort,
  expectSize,
  fail,
  optionalString,
  setOptional,
  walkBlock,
  type Handler,
  type Warnings,
} from "./read.js";

/** Sluice's limits on nats-server's knobs (nats-server itself has none or only warns). */
export const configLimits = {
  /** nats-server warns above 8 MB; 64 MB is the classic documented ceiling. */
  payloadBytesMax: 64 * 1024 * 1024,
  controlLineBytesMax: 1024 * 1024,
  pendingBytesMax: 4 * 1024 * 1024 * 1024,
  connectionsMax: 10_000_000,
  /** nats-server rejects a lame duck duration under 30 s. */
  lameDuckDurationMsMin: 30_000,
  durationMsMax: 7 * 24 * 3_600_000,
} as const;

/** nats-server config keys Sluice does not implement, with what to do instead. */
const unsupportedTopLevel: Record<string, string> = {
  websocket: "WebSocket clients are not implemented",
  ws: "WebSocket clients are not implemented",
  leafnodes: "leaf nodes are not implemented",
  leaf: "leaf nodes are not implemented",
  gateway: "gateways (superclusters) are not implemented",
  mqtt: "MQTT is not implemented",
  operator: "operator/JWT mode is not implemented; use accounts { } with users",
  operators: "operator/JWT mode is not implemented; use accounts { } with users",
  trusted: "operator/JWT mode is not implemented",
  trusted_keys: "operator/JWT mode is not implemented",
  resolver: "operator/JWT mode is not implemented",
  resolver_preload: "operator/JWT mode is not implemented",
  resolver_tls: "operator/JWT mode is not implemented",
  system: "operator/JWT mode is not implemented",
  syslog: "log to a file (log_file) or stderr instead",
  remote_syslog: "log to a file (log_file) or stderr instead",
  log_size_limit: "log rotation is not implemented",
  logfile_size_limit: "log rotation is not implemented",
  logfile_max_num: "log rotation is not implemented",
  logtime_utc: "not implemented",
  max_traced_msg_len: "not implemented",
  prof_port: "Go profiling does not apply; use node --cpu-prof",
  ocsp: "OCSP stapling is not implemented",
  ocsp_cache: "OCSP is not implemented",
  mappings: "subject mappings are not implemented",
  server_tags: "not implemented",
  default_js_domain: "not implemented",
  http_base_path: "not implemented",
  nkey: "nkeys are not implemented",
  nkeys: "nkeys are not implemented",
  accounts_resolver: "operator/JWT mode is not implemented",
  no_header_support: "headers are always supported",
  disable_sublist_cache: "not implemented",
  no_sublist_cache: "not implemented",
  max_closed_clients: "not implemented",
  connect_error_reports: "not implemented",
  reconnect_error_reports: "not implemented",
  no_system_account: "not implemented",
};

/** What only the mapping knows and validation needs. */
export interface ConfigFacts {
  /** Value of each top-level key that was set, for positions in cross-key error messages. */
  positions: Map<string, ConfValue>;
}

export function applyConfig(root: ConfMap, options: ServerOptions, warnings: Warnings): ConfigFacts {
  const o = options;
  const facts: ConfigFacts = { positions: new Map() };
  const track =
    (h: Handler): Handler =>
    (value, path, entry) => {
      facts.positions.set(path, value);
      h(value, path, entry);
    };
  const host = (x: ConfValue, p: string): void => void (o.host = optionalString(x, p) ?? "0.0.0.0");
  const listen = (x: ConfValue, p: string): void => {
    const hp = expectHostPort(x, p);
    if (hp.host !== undefined) o.host = hp.host;
    o.port = portOrDefault(hp.port, 4222);
  };
  const serverName = (x: ConfValue, p: string): void => {
    const name = optionalString(x, p) ?? "";
    if (/\s/.test(name)) fail(x, p, "server name cannot contain spaces");
    o.server_name = name;
  };
  const httpPort = (x: ConfValue, p: string): void => void (o.http_port = expectPort(x, p));
  const http = (x: ConfValue, p: string): void => {
    const hp = expectHostPort(x, p);
    if (hp.host !== undefined) o.http_host = hp.host;
    o.http_port = hp.port;
  };
  const https = (x: ConfValue, p: string): void => {
    const hp = expectHostPort(x, p);
    if (hp.host !== undefined) o.http_host = hp.host;
    o.https_port = hp.port;
  };
  const maxConnections = (x: ConfValue, p: string): void => {
    // nats-server: 0 = default; a negative value = no limit (ours is still bounded).
    const n = expectInt(x, p, -1, configLimits.connectionsMax);
    o.max_connections = n < 0 ? configLimits.connectionsMax : orDefault(n, 64 * 1024);
  };
  const maxSubs = (x: ConfValue, p: string): void => void (o.max_subscriptions = expectInt(x, p, 0, 2 ** 31 - 1));
  const pidFile = (x: ConfValue, p: string): void => setOptional(o, "pid_file", optionalString(x, p));
  const logFile = (x: ConfValue, p: string): void => setOptional(o, "log_file", optionalString(x, p));
  /** nats-server's setBaselineOptions: a zero duration means the default. */
  const duration = (x: ConfValue, p: string, fallbackMs: number): number =>
    orDefault(expectDurationMs(x, p, warnings, 0, configLimits.durationMsMax), fallbackMs);

  const keys: Record<string, Handler> = {
    port: (x, p) => (o.port = portOrDefault(expectPort(x, p), 4222)),
    listen,
    host,
    net: host,
    server_name: serverName,
    client_advertise: (x, p) => {
      const adv = optionalString(x, p);
      if (adv !== undefined && /\s/.test(adv)) fail(x, p, "client_advertise cannot contain spaces");
      setOptional(o, "client_advertise", adv);
    },
    http_port: httpPort,
    monitor_port: httpPort,
    http,
    https_port: (x, p) => (o.https_port = expectPort(x, p)),
    https,
    max_payload: (x, p) => (o.max_payload_bytes = orDefault(expectSize(x, p, 0, configLimits.payloadBytesMax), 1024 * 1024)),
    max_connections: maxConnections,
    max_conn: maxConnections,
    max_control_line: (x, p) => {
      o.max_control_line_bytes = orDefault(expectSize(x, p, 0, configLimits.controlLineBytesMax), 4096);
    },
    max_pending: (x, p) => (o.max_pending_bytes = orDefault(expectSize(x, p, 0, configLimits.pendingBytesMax), 64 * 1024 * 1024)),
    max_subscriptions: maxSubs,
    max_subs: maxSubs,
    ping_interval: (x, p) => (o.ping_interval_ms = duration(x, p, 2 * 60_000)),
    ping_max: (x, p) => (o.ping_max = orDefault(expectInt(x, p, 0, 1_000_000), 2)),
    write_deadline: (x, p) => (o.write_deadline_ms = duration(x, p, 10_000)),
    lame_duck_duration: (x, p) => {
      const ms = duration(x, p, 2 * 60_000);
      if (ms < configLimits.lameDuckDurationMsMin) fail(x, p, `invalid lame_duck_duration of ${x.kind === "string" ? x.value : ms + "ms"}, minimum is 30 seconds`);
      o.lame_duck_duration_ms = ms;
    },
    lame_duck_grace_period: (x, p) => (o.lame_duck_grace_period_ms = duration(x, p, 10_000)),
    pid_file: pidFile,
    pidfile: pidFile,
    ports_file_dir: (x, p) => setOptional(o, "ports_file_dir", optionalString(x, p)),
    log_file: logFile,
    logfile: logFile,
    debug: (x, p) => (o.debug = expectBool(x, p)),
    trace: (x, p) => (o.trace = expectBool(x, p)),
    trace_verbose: (x, p) => (o.trace_verbose = expectBool(x, p)),
    logtime: (x, p) => (o.logtime = expectBool(x, p)),
    no_auth_user: (x, p) => setOptional(o, "no_auth_user", optionalString(x, p)),
    authorization: (x, p) => (o.authorization = parseAuthorization(x, p, warnings)),
    tls: (x, p) => (o.tls = parseTls(x, p)),
    jetstream: (x, p) => parseJetStream(x, p, o.jetstream, warnings),
    cluster: (x, p) => (o.cluster = parseCluster(x, p)),
    accounts: (x, p) => (o.accounts = parseAccounts(x, p, warnings)),
    system_account: (x, p) => setOptional(o, "system_account", optionalString(x, p)),
    // nats-server also takes the JetStream storage root at the top level.
    store_dir: (x, p) => (o.jetstream.store_dir = optionalString(x, p) ?? ""),
    storedir: (x, p) => (o.jetstream.store_dir = optionalString(x, p) ?? ""),
  };
  for (const k of Object.keys(keys)) keys[k] = track(keys[k] as Handler);
  walkBlock(root, "", { keys, unsupported: unsupportedTopLevel });
  return facts;
}

/** nats-server treats 0 as "use the default" for most limits. */
function orDefault(value: number, fallback: number): number {
  return value === 0 ? fallback : value;
}

function portOrDefault(port: number, fallback: number): number {
  return port === 0 ? fallback : port;
}
