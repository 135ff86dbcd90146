/**
 * Command-line flag values over the options from the config file (flags win, as in nats-server's
 * MergeOptions). Semantic problems (a TLS flag without a certificate, routes without a cluster)
 * are `ConfigError`s; syntax problems were already `FlagError`s in `flags.ts`.
 */
import { authTimeoutMsDefault } from "./auth.js";
import { clusterPortDefault, routeUrlProblem, tlsTimeoutMsDefault } from "./blocks.js";
import { ConfigError } from "./errors.js";
import type { FlagValue, ParsedFlags } from "./flags.js";
import type { ClusterConfig, ServerOptions } from "./options.js";

function checkPort(flag: string, port: number): number {
  if (port !== -1 && (port < 0 || port > 65535)) throw new ConfigError(`-${flag}: port ${port} is out of range (0..65535, or -1 for random)`);
  return port;
}

export function applyFlags(o: ServerOptions, flags: ParsedFlags): void {
  const v = flags.values;
  const str = (id: string): string | undefined => {
    const x: FlagValue | undefined = v.get(id);
    return typeof x === "string" ? x : undefined;
  };
  const int = (id: string): number | undefined => {
    const x = v.get(id);
    return typeof x === "number" ? x : undefined;
  };
  const bool = (id: string): boolean | undefined => {
    const x = v.get(id);
    return typeof x === "boolean" ? x : undefined;
  };

  const addr = str("addr");
  if (addr !== undefined) o.host = nonEmpty("addr", addr);
  const port = int("port");
  if (port !== undefined) o.port = port === 0 ? 4222 : checkPort("port", port);
  const name = str("name");
  if (name !== undefined) {
    if (/\s/.test(name) || name === "") throw new ConfigError(`-name: server name cannot be empty or contain spaces`);
    o.server_name = name;
  }
  const httpPort = int("http_port");
  if (httpPort !== undefined) o.http_port = checkPort("http_port", httpPort);
  const httpsPort = int("https_port");
  if (httpsPort !== undefined) o.https_port = checkPort("https_port", httpsPort);
  const pid = str("pid");
  if (pid !== undefined) o.pid_file = nonEmpty("pid", pid);
  const portsDir = str("ports_file_dir");
  if (portsDir !== undefined) o.ports_file_dir = nonEmpty("ports_file_dir", portsDir);
  const clientAdvertise = str("client_advertise");
  if (clientAdvertise !== undefined) o.client_advertise = nonEmpty("client_advertise", clientAdvertise);
  const log = str("log");
  if (log !== undefined) o.log_file = nonEmpty("log", log);
  const logtime = bool("logtime");
  if (logtime !== undefined) o.logtime = logtime;

  const debug = bool("debug");
  if (debug !== undefined) o.debug = debug;
  const trace = bool("trace");
  if (trace !== undefined) o.trace = trace;
  if (bool("DV") === true) o.debug = o.trace = true;
  if (bool("VV") === true) o.trace = o.trace_verbose = true;
  if (bool("DVV") === true) o.debug = o.trace = o.trace_verbose = true;

  const js = bool("jetstream");
  if (js !== undefined) o.jetstream.enabled = js;
  const storeDir = str("store_dir");
  if (storeDir !== undefined) o.jetstream.store_dir = nonEmpty("store_dir", storeDir);

  applyAuthFlags(o, str("user"), str("pass"), str("auth"));
  applyTlsFlags(o, bool("tls"), bool("tlsverify"), str("tlscert"), str("tlskey"), str("tlscacert"));
  applyClusterFlags(o, v);
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === "") throw new ConfigError(`-${flag}: value must not be empty`);
  return value;
}

function applyAuthFlags(o: ServerOptions, user?: string, pass?: string, token?: string): void {
  if (user === undefined && pass === undefined && token === undefined) return;
  const auth = o.authorization ?? { timeout_ms: authTimeoutMsDefault };
  if (user !== undefined) auth.user = nonEmpty("user", user);
  if (pass !== undefined) auth.password = pass;
  if (token !== undefined) auth.token = nonEmpty("auth", token);
  if (auth.user !== undefined && auth.password === undefined) auth.password = "";
  o.authorization = auth;
}

function applyTlsFlags(o: ServerOptions, tls?: boolean, verify?: boolean, cert?: string, key?: string, ca?: string): void {
  if (tls === true || verify === true) {
    // As nats-server's overrideTLS: the flags describe the whole TLS setup.
    if (cert === undefined) throw new ConfigError("TLS Server certificate must be present and valid (--tlscert)");
    if (key === undefined) throw new ConfigError("TLS Server private key must be present and valid (--tlskey)");
    o.tls = {
      cert_file: cert,
      key_file: key,
      verify: verify === true,
      timeout_ms: o.tls?.timeout_ms ?? tlsTimeoutMsDefault,
      handshake_first: o.tls?.handshake_first ?? false,
    };
    if (ca !== undefined) o.tls.ca_file = ca;
    return;
  }
  if (cert === undefined && key === undefined && ca === undefined) return;
  // Without --tls/--tlsverify, nats-server silently ignores these; refining a file's tls block is
  // the only useful meaning, anything else is a mistake worth reporting.
  if (o.tls === undefined) throw new ConfigError("--tlscert, --tlskey and --tlscacert need --tls or --tlsverify (or a tls block in the config file)");
  if (cert !== undefined) o.tls.cert_file = cert;
  if (key !== undefined) o.tls.key_file = key;
  if (ca !== undefined) o.tls.ca_file = ca;
}

function applyClusterFlags(o: ServerOptions, v: ReadonlyMap<string, FlagValue>): void {
  const listen = v.get("cluster");
  let cluster: ClusterConfig | undefined = o.cluster;
  if (typeof listen === "string") {
    cluster = cluster ?? { name: "", host: "0.0.0.0", port: clusterPortDefault, routes: [], no_advertise: false, connect_retries: 0 };
    applyClusterListen(cluster, listen);
  }
  const routes = v.get("routes");
  const name = v.get("cluster_name");
  const advertise = v.get("cluster_advertise");
  const noAdvertise = v.get("no_advertise");
  const retries = v.get("connect_retries");
  const given = [routes, name, advertise, noAdvertise, retries].some((x) => x !== undefined);
  if (!given) {
    if (cluster !== undefined) o.cluster = cluster;
    return;
  }
  if (cluster === undefined) {
    throw new ConfigError(
      typeof routes === "string"
        ? "solicited routes require cluster capabilities, e.g. --cluster"
        : "cluster flags (--cluster_name, --cluster_advertise, --no_advertise, --connect_retries) require --cluster or a cluster block with listen/port",
    );
  }
  if (typeof routes === "string") {
    cluster.routes = routes
      .split(",")
      .map((r) => r.trim())
      .filter((r) => r !== "");
    for (const r of cluster.routes) {
      const problem = routeUrlProblem(r);
      if (problem !== undefined) throw new ConfigError(`--routes: ${problem}`);
    }
  }
  if (typeof name === "string") {
    if (name === "" || /\s/.test(name)) throw new ConfigError("--cluster_name: cluster name cannot be empty or contain spaces");
    cluster.name = name;
  }
  if (typeof advertise === "string") cluster.advertise = nonEmpty("cluster_advertise", advertise);
  if (typeof noAdvertise === "boolean") cluster.no_advertise = noAdvertise;
  if (typeof retries === "number") {
    if (retries < 0) throw new ConfigError("--connect_retries must not be negative");
    cluster.connect_retries = retries;
  }
  o.cluster = cluster;
}

/** `--cluster nats://[user:pass@]host:port`: also sets (or clears) route credentials. */
function applyClusterListen(cluster: ClusterConfig, text: string): void {
  // Not `new URL`: nats-server test setups use port -1 (random), which URL rejects.
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]]+\]|[^:/@[\]]+):(-?\d{1,5})\/?$/i.exec(text.trim());
  if (m === null) throw new ConfigError(`--cluster: invalid URL "${text}" (expected nats://[user:pass@]host:port)`);
  const [, user, password, host = "", port = ""] = m;
  cluster.host = host.replace(/^\[(.*)\]$/, "$1");
  cluster.port = checkPort("cluster", Number(port));
  if (user !== undefined && user !== "") {
    if (password === undefined || password === "") throw new ConfigError("--cluster: expected cluster password to be set");
    cluster.authorization = {
      user: safeDecode(user),
      password: safeDecode(password),
      timeout_ms: cluster.authorization?.timeout_ms ?? authTimeoutMsDefault,
    };
  } else {
    delete cluster.authorization;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
