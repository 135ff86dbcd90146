/**
 * The resolved broker configuration: what the config file and command-line flags become.
 * Field names follow nats-server's config keys (snake_case) so docs and errors line up.
 * Produced by `broker/config` (file parser + flags), consumed by `broker/server`.
 */

export interface PermissionRule {
  allow?: string[];
  deny?: string[];
}

export interface Permissions {
  publish?: PermissionRule;
  subscribe?: PermissionRule;
  /** Allow publishing to reply subjects of received requests; `max` replies within `expires_ms`. */
  allow_responses?: { max: number; expires_ms: number };
}

export interface UserConfig {
  user: string;
  /** Plain text or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`). */
  password: string;
  permissions?: Permissions;
  account?: string;
}

export interface AuthorizationConfig {
  user?: string;
  password?: string;
  token?: string;
  users?: UserConfig[];
  default_permissions?: Permissions;
  timeout_ms: number;
}

export interface TlsConfig {
  cert_file: string;
  key_file: string;
  ca_file?: string;
  verify: boolean;
  timeout_ms: number;
  handshake_first: boolean;
  /**
   * With `handshake_first: auto` (or a duration): how long to wait for a TLS ClientHello before
   * falling back to sending INFO first (nats-server's default fallback is 50 ms). Unset = no fallback.
   */
  handshake_first_fallback_ms?: number;
}

export type SyncPolicy = "always" | "interval" | "never";

export interface JetStreamConfig {
  enabled: boolean;
  store_dir: string;
  max_memory_store_bytes: number;
  max_file_store_bytes: number;
  /** Sluice default: `always` (fsync before ack). `interval` mirrors nats-server's default. */
  sync: SyncPolicy;
  sync_interval_ms: number;
  domain?: string;
  /** Optional encryption at rest: path of a file holding a 32-byte key (hex or raw). */
  encryption_key_file?: string;
}

export interface ClusterConfig {
  name: string;
  host: string;
  port: number;
  routes: string[];
  advertise?: string;
  no_advertise: boolean;
  connect_retries: number;
  authorization?: { user: string; password: string; timeout_ms: number };
}

/** An account's export: a stream or a service subject other accounts may import. */
export interface AccountExport {
  stream?: string;
  service?: string;
  /** Accounts allowed to import; unset = public. */
  accounts?: string[];
  response_type?: "singleton" | "stream" | "chunked";
}

/** An import of another account's stream or service. */
export interface AccountImport {
  stream?: { account: string; subject: string };
  service?: { account: string; subject: string };
  /** Stream imports: prefix prepended to imported subjects. */
  prefix?: string;
  /** Local subject the import is mapped to. */
  to?: string;
}

export interface AccountConfig {
  name: string;
  /** Users of this account; each has `account` set to `name`. */
  users: UserConfig[];
  jetstream: boolean;
  exports: AccountExport[];
  imports: AccountImport[];
  default_permissions?: Permissions;
}

export interface ServerOptions {
  server_name: string;
  host: string;
  /** Client port; -1 picks a random free port. */
  port: number;
  client_advertise?: string;
  http_host: string;
  /** Monitoring port; 0 disables, -1 picks a random port. */
  http_port: number;
  https_port: number;
  max_payload_bytes: number;
  max_connections: number;
  max_control_line_bytes: number;
  max_pending_bytes: number;
  max_subscriptions: number;
  ping_interval_ms: number;
  ping_max: number;
  write_deadline_ms: number;
  lame_duck_duration_ms: number;
  lame_duck_grace_period_ms: number;
  pid_file?: string;
  ports_file_dir?: string;
  log_file?: string;
  logtime: boolean;
  debug: boolean;
  trace: boolean;
  /** `-VV`/`-DVV`: trace the system account too. */
  trace_verbose?: boolean;
  no_auth_user?: string;
  authorization?: AuthorizationConfig;
  tls?: TlsConfig;
  jetstream: JetStreamConfig;
  cluster?: ClusterConfig;
  /** `accounts { ... }`; users listed there are not in `authorization.users`. */
  accounts?: AccountConfig[];
  system_account?: string;
  /** Path of the config file this came from, for reload (SIGHUP). */
  config_file?: string;
}

export function defaultOptions(): ServerOptions {
  return {
    server_name: "",
    host: "0.0.0.0",
    port: 4222,
    http_host: "0.0.0.0",
    http_port: 0,
    https_port: 0,
    max_payload_bytes: 1024 * 1024,
    max_connections: 64 * 1024,
    max_control_line_bytes: 4096,
    max_pending_bytes: 64 * 1024 * 1024,
    max_subscriptions: 0,
    ping_interval_ms: 2 * 60_000,
    ping_max: 2,
    write_deadline_ms: 10_000,
    lame_duck_duration_ms: 2 * 60_000,
    lame_duck_grace_period_ms: 10_000,
    logtime: true,
    debug: false,
    trace: false,
    jetstream: {
      enabled: false,
      store_dir: "",
      max_memory_store_bytes: 0,
      max_file_store_bytes: 0,
      sync: "always",
      sync_interval_ms: 2 * 60_000,
    },
  };
}
