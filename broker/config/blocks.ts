/** The `tls`, `jetstream` and `cluster` blocks. */
import type { ConfValue } from "./ast.js";
import { ConfigError } from "./errors.js";
import type { ClusterConfig, JetStreamConfig, TlsConfig } from "./options.js";
import {
  expectBool,
  expectDurationMs,
  expectHostPort,
  expectInt,
  expectMap,
  expectNonEmptyString,
  expectPort,
  expectSecondsMs,
  expectSize,
  expectString,
  expectStringList,
  fail,
  optionalString,
  setOptional,
  walkBlock,
  type Warnings,
} from "./read.js";
import { parseGoDurationMs } from "./units.js";

/** nats-server's TLS_TIMEOUT. */
export const tlsTimeoutMsDefault = 2_000;
/** nats-server's DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY. */
export const tlsHandshakeFirstFallbackMsDefault = 50;
/** nats-server's DEFAULT_ROUTE_PORT. */
export const clusterPortDefault = 6222;
const dayMs = 24 * 3_600_000;

export function parseTls(v: ConfValue, path: string): TlsConfig {
  const block = expectMap(v, path);
  const tls: Partial<TlsConfig> & { timeout_ms: number; verify: boolean; handshake_first: boolean } = {
    timeout_ms: tlsTimeoutMsDefault,
    verify: false,
    handshake_first: false,
  };
  walkBlock(block, path, {
    keys: {
      cert_file: (x, p) => setOptional(tls, "cert_file", optionalString(x, p)),
      key_file: (x, p) => setOptional(tls, "key_file", optionalString(x, p)),
      ca_file: (x, p) => setOptional(tls, "ca_file", optionalString(x, p)),
      verify: (x, p) => (tls.verify = expectBool(x, p)),
      timeout: (x, p) => (tls.timeout_ms = expectSecondsMs(x, p, 1, 10 * 60_000)),
      handshake_first: (x, p) => handshakeFirst(x, p, tls),
      first: (x, p) => handshakeFirst(x, p, tls),
      immediate: (x, p) => handshakeFirst(x, p, tls),
    },
    unsupported: {
      verify_and_map: "mapping client certificates to users is not implemented",
      verify_cert_and_check_known_urls: "not implemented",
      cipher_suites: "cipher suite selection is not implemented (Node's defaults apply)",
      curve_preferences: "curve selection is not implemented (Node's defaults apply)",
      insecure: "not implemented",
      pinned_certs: "certificate pinning is not implemented",
      cert_store: "Windows certificate stores are not supported",
      cert_match: "Windows certificate stores are not supported",
      cert_match_by: "Windows certificate stores are not supported",
      ocsp_peer: "OCSP is not implemented",
      min_version: "not implemented (Node's defaults apply)",
    },
  });
  if (tls.cert_file === undefined) throw new ConfigError(`${path}: missing cert_file`, block.pos, path);
  if (tls.key_file === undefined) throw new ConfigError(`${path}: missing key_file`, block.pos, path);
  return { ...tls, cert_file: tls.cert_file, key_file: tls.key_file };
}

/** `true`/`false`, `"auto"` (fallback after 50 ms) or a fallback duration. */
function handshakeFirst(v: ConfValue, path: string, tls: Partial<TlsConfig>): void {
  if (v.kind === "string") {
    const text = v.value.trim().toLowerCase();
    if (text === "auto" || text === "auto_fallback") {
      tls.handshake_first = true;
      tls.handshake_first_fallback_ms = tlsHandshakeFirstFallbackMsDefault;
      return;
    }
    const ms = parseGoDurationMs(text);
    if (ms !== undefined && ms > 0 && ms <= 60_000) {
      tls.handshake_first = true;
      tls.handshake_first_fallback_ms = ms;
      return;
    }
    if (ms === undefined && !/^(true|false|yes|no|on|off)$/.test(text)) {
      fail(v, path, `expected true, false, "auto" or a fallback duration, got "${v.value}"`);
    }
  }
  tls.handshake_first = expectBool(v, path);
  delete tls.handshake_first_fallback_ms;
}

const jetstreamUnsupported: Record<string, string> = {
  cipher: "use the Sluice key encryption_key_file instead",
  key: "use the Sluice key encryption_key_file instead",
  prev_key: "key rotation is not implemented",
  max_outstanding_catchup: "not implemented",
  max_catchup: "not implemented",
  unique_tag: "not implemented",
  limits: "not implemented",
  extension_hint: "not implemented",
  max_buffered_msgs: "not implemented",
  max_buffered_size: "not implemented",
  request_queue_limit: "not implemented",
  strict: "not implemented",
  compress_ok: "not implemented",
  tpm: "not implemented",
};

/** `jetstream: enabled|disabled|true|false` or `jetstream { ... }`; applied over `js`. */
export function parseJetStream(v: ConfValue, path: string, js: JetStreamConfig, warnings: Warnings): void {
  if (v.kind === "bool") {
    js.enabled = v.value;
    return;
  }
  if (v.kind === "string") {
    const text = v.value.toLowerCase();
    if (text === "enabled" || text === "enable") js.enabled = true;
    else if (text === "disabled" || text === "disable") js.enabled = false;
    else fail(v, path, `expected enabled, disabled, true, false or a block, got "${v.value}"`);
    return;
  }
  js.enabled = true;
  const storeDir = (x: ConfValue, p: string): void => void (js.store_dir = optionalString(x, p) ?? "");
  // -1 is nats-server's "use the dynamic default"; 0 means the same in ServerOptions.
  const memory = (x: ConfValue, p: string): void => void (js.max_memory_store_bytes = jsLimit(x, p));
  const file = (x: ConfValue, p: string): void => void (js.max_file_store_bytes = jsLimit(x, p));
  const sync = (x: ConfValue, p: string): void => parseSync(x, p, js, warnings);
  walkBlock(expectMap(v, path), path, {
    keys: {
      enabled: (x, p) => (js.enabled = expectBool(x, p)),
      enable: (x, p) => (js.enabled = expectBool(x, p)),
      store_dir: storeDir,
      store: storeDir,
      storedir: storeDir,
      max_mem: memory,
      max_memory_store: memory,
      max_mem_store: memory,
      max_file: file,
      max_file_store: file,
      sync_interval: sync,
      sync,
      domain: (x, p) => {
        const domain = optionalString(x, p);
        if (domain !== undefined && /[\s.*>]/.test(domain)) fail(x, p, `invalid domain "${domain}": no whitespace, '.', '*' or '>'`);
        setOptional(js, "domain", domain);
      },
      encryption_key_file: (x, p) => setOptional(js, "encryption_key_file", optionalString(x, p)),
    },
    unsupported: jetstreamUnsupported,
  });
}

function jsLimit(v: ConfValue, path: string): number {
  if (v.kind === "int" && v.value === -1) return 0;
  return expectSize(v, path, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * nats-server: `sync_interval` (alias `sync`) is a duration or `always`. Sluice also accepts the
 * policy words `always`, `interval` (keep the current interval) and `never` (leave it to the OS).
 */
function parseSync(v: ConfValue, path: string, js: JetStreamConfig, warnings: Warnings): void {
  if (v.kind === "string") {
    const word = v.value.trim().toLowerCase();
    if (word === "always" || word === "interval" || word === "never") {
      js.sync = word;
      return;
    }
  }
  js.sync_interval_ms = expectDurationMs(v, path, warnings, 1, dayMs);
  js.sync = "interval";
}

const clusterUnsupported: Record<string, string> = {
  tls: "route TLS is not implemented",
  pool_size: "route pooling is not implemented",
  compression: "route compression is not implemented",
  accounts: "pinned route accounts are not implemented",
  permissions: "route permissions are not implemented",
  ping_interval: "not implemented",
  ping_max: "not implemented",
  lnoc: "not implemented",
};

export function parseCluster(v: ConfValue, path: string): ClusterConfig {
  const block = expectMap(v, path);
  let portSet = false;
  const cluster: ClusterConfig = {
    name: "",
    host: "0.0.0.0",
    port: clusterPortDefault,
    routes: [],
    no_advertise: false,
    connect_retries: 0,
  };
  walkBlock(block, path, {
    keys: {
      name: (x, p) => (cluster.name = clusterName(x, p)),
      listen: (x, p) => {
        const hp = expectHostPort(x, p);
        if (hp.host !== undefined) cluster.host = hp.host;
        cluster.port = hp.port;
        portSet = true;
      },
      host: (x, p) => (cluster.host = optionalString(x, p) ?? "0.0.0.0"),
      net: (x, p) => (cluster.host = optionalString(x, p) ?? "0.0.0.0"),
      port: (x, p) => {
        cluster.port = expectPort(x, p);
        portSet = true;
      },
      routes: (x, p) => (cluster.routes = expectStringList(x, p).map((r) => checkRouteUrl(r, x, p))),
      advertise: (x, p) => setOptional(cluster, "advertise", optionalString(x, p)),
      cluster_advertise: (x, p) => setOptional(cluster, "advertise", optionalString(x, p)),
      no_advertise: (x, p) => (cluster.no_advertise = expectBool(x, p)),
      connect_retries: (x, p) => (cluster.connect_retries = expectInt(x, p, 0, 1_000_000)),
      authorization: (x, p) => (cluster.authorization = parseRouteAuthorization(x, p)),
    },
    unsupported: clusterUnsupported,
  });
  // nats-server would accept the block and simply not listen; here that is almost surely a mistake.
  if (!portSet) throw new ConfigError(`${path}: missing listen (or port)`, block.pos, path);
  return cluster;
}

export function clusterName(v: ConfValue, path: string): string {
  const name = expectNonEmptyString(v, path);
  if (/\s/.test(name)) fail(v, path, "cluster name cannot contain spaces");
  return name;
}

function parseRouteAuthorization(v: ConfValue, path: string): { user: string; password: string; timeout_ms: number } {
  const block = expectMap(v, path);
  const auth: { user?: string; password?: string; timeout_ms: number } = { timeout_ms: 2_000 };
  const user = (x: ConfValue, p: string): void => void (auth.user = expectNonEmptyString(x, p));
  const password = (x: ConfValue, p: string): void => void (auth.password = expectString(x, p));
  walkBlock(block, path, {
    keys: {
      user,
      username: user,
      password,
      pass: password,
      timeout: (x, p) => (auth.timeout_ms = expectSecondsMs(x, p, 1, 10 * 60_000)),
    },
    unsupported: { token: "route token auth is not implemented; use user and password" },
  });
  if (auth.user === undefined || auth.password === undefined) {
    throw new ConfigError(`${path}: route authorization requires user and password`, block.pos, path);
  }
  return { user: auth.user, password: auth.password, timeout_ms: auth.timeout_ms };
}

/** Route URLs: `nats-route://[user:pass@]host:port` (or `nats://`). */
export function routeUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `invalid route URL "${url}"`;
  }
  if (parsed.protocol !== "nats-route:" && parsed.protocol !== "nats:" && parsed.protocol !== "tls:") {
    return `route URL "${url}" must use nats-route:// or nats://`;
  }
  if (parsed.hostname === "" || parsed.port === "") return `route URL "${url}" needs a host and a port`;
  return undefined;
}

function checkRouteUrl(url: string, v: ConfValue, path: string): string {
  const problem = routeUrlProblem(url);
  if (problem !== undefined) fail(v, path, problem);
  return url;
}
