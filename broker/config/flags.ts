/**
 * nats-server's command line. nats-server uses Go's `flag` package, whose rules we follow here
 * (a CLI library such as commander cannot express them): `-name` and `--name` are the same flag,
 * so multi-letter single-dash flags (`-js`, `-sd`, `-DV`, `-ms`) are ordinary names; values come
 * as `-p 4222` or `-p=4222` and a value flag takes the next argument even when it starts with a
 * dash (`-p -1`); boolean flags take no separate argument (`-T=false`, not `-T false`); parsing
 * stops at `--` or the first non-flag argument.
 */

export type FlagKind = "bool" | "int" | "string";

export interface FlagSpec {
  readonly id: string;
  readonly names: readonly string[];
  readonly kind: FlagKind;
  /** Set for nats-server flags Sluice does not implement: why. */
  readonly unsupported?: string;
}

export const flagSpecs: readonly FlagSpec[] = [
  { id: "addr", names: ["a", "addr", "net"], kind: "string" },
  { id: "port", names: ["p", "port"], kind: "int" },
  { id: "name", names: ["n", "name", "server_name"], kind: "string" },
  { id: "pid", names: ["P", "pid"], kind: "string" },
  { id: "http_port", names: ["m", "http_port"], kind: "int" },
  { id: "https_port", names: ["ms", "https_port"], kind: "int" },
  { id: "config", names: ["c", "config"], kind: "string" },
  { id: "test", names: ["t"], kind: "bool" },
  { id: "client_advertise", names: ["client_advertise"], kind: "string" },
  { id: "ports_file_dir", names: ["ports_file_dir"], kind: "string" },
  { id: "log", names: ["l", "log"], kind: "string" },
  { id: "logtime", names: ["T", "logtime"], kind: "bool" },
  { id: "debug", names: ["D", "debug"], kind: "bool" },
  { id: "trace", names: ["V", "trace"], kind: "bool" },
  { id: "VV", names: ["VV"], kind: "bool" },
  { id: "DV", names: ["DV"], kind: "bool" },
  { id: "DVV", names: ["DVV"], kind: "bool" },
  { id: "jetstream", names: ["js", "jetstream"], kind: "bool" },
  { id: "store_dir", names: ["sd", "store_dir"], kind: "string" },
  { id: "user", names: ["user"], kind: "string" },
  { id: "pass", names: ["pass"], kind: "string" },
  { id: "auth", names: ["auth"], kind: "string" },
  { id: "tls", names: ["tls"], kind: "bool" },
  { id: "tlscert", names: ["tlscert"], kind: "string" },
  { id: "tlskey", names: ["tlskey"], kind: "string" },
  { id: "tlsverify", names: ["tlsverify"], kind: "bool" },
  { id: "tlscacert", names: ["tlscacert"], kind: "string" },
  { id: "routes", names: ["routes"], kind: "string" },
  { id: "cluster", names: ["cluster", "cluster_listen"], kind: "string" },
  { id: "cluster_name", names: ["cluster_name"], kind: "string" },
  { id: "no_advertise", names: ["no_advertise"], kind: "bool" },
  { id: "cluster_advertise", names: ["cluster_advertise"], kind: "string" },
  { id: "connect_retries", names: ["connect_retries"], kind: "int" },
  { id: "help", names: ["h", "help"], kind: "bool" },
  { id: "version", names: ["v", "version"], kind: "bool" },
  { id: "help_tls", names: ["help_tls"], kind: "bool" },
  { id: "signal", names: ["sl", "signal"], kind: "string" },
  { id: "syslog", names: ["s", "syslog"], kind: "bool", unsupported: "log to stderr or a file (-l) instead" },
  { id: "remote_syslog", names: ["r", "remote_syslog"], kind: "string", unsupported: "log to stderr or a file (-l) instead" },
  { id: "logtime_utc", names: ["logtime_utc"], kind: "bool", unsupported: "not implemented" },
  { id: "log_size_limit", names: ["log_size_limit"], kind: "int", unsupported: "log rotation is not implemented" },
  { id: "max_traced_msg_len", names: ["max_traced_msg_len"], kind: "int", unsupported: "not implemented" },
  { id: "profile", names: ["profile"], kind: "int", unsupported: "Go profiling does not apply; run node with --cpu-prof" },
];

const byName = new Map<string, FlagSpec>(flagSpecs.flatMap((s) => s.names.map((n) => [n, s] as const)));

/** A command-line mistake: the caller prints it with a pointer to --help and exits 2. */
export class FlagError extends Error {
  override readonly name = "FlagError";
}

export type FlagValue = boolean | number | string;

export interface ParsedFlags {
  /** Flag id → value; a repeated flag keeps its last value (as Go's flag package does). */
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Arguments after the flags. */
  readonly positional: readonly string[];
}

const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, FlagValue>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.length < 2 || !arg.startsWith("-")) break;
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body.startsWith("-") || body.startsWith("=")) throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const spec = byName.get(name);
    if (spec === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    i++;
    if (spec.kind === "bool") {
      if (inline === undefined) values.set(spec.id, true);
      else if (GO_TRUE.has(inline)) values.set(spec.id, true);
      else if (GO_FALSE.has(inline)) values.set(spec.id, false);
      else throw new FlagError(`invalid boolean value "${inline}" for -${name}: expected true or false`);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      text = argv[i];
      if (text === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      i++;
    }
    if (spec.kind === "int") {
      if (!/^[+-]?\d{1,15}$/.test(text)) throw new FlagError(`invalid value "${text}" for flag -${name}: expected an integer`);
      values.set(spec.id, Number(text));
    } else {
      values.set(spec.id, text);
    }
  }
  for (const [id] of values) {
    const spec = flagSpecs.find((s) => s.id === id);
    if (spec?.unsupported !== undefined) {
      throw new FlagError(`flag -${spec.names[0] ?? id} is not supported by Sluice: ${spec.unsupported}`);
    }
  }
  return { values, positional: argv.slice(i) };
}

export function usageText(program: string): string {
  return `
Usage: ${program} [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222, -1 for random)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to a running broker (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file (default: -P)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (traces system account as well)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (traces system account as well)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory (data goes in <dir>/jetstream)

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise               Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help

Flags may be written with one or two dashes (-js, --jetstream); flag values override the
configuration file. nats-server flags Sluice does not implement (-s, -r, --profile,
--logtime_utc, --log_size_limit, --max_traced_msg_len) are rejected with an explanation.
`;
}

export function tlsHelpText(program: string): string {
  return `
TLS Server Options (${program})

    --tls                       Enable TLS, do not verify clients (default: false)
    --tlscert <file>            Server certificate file (PEM)
    --tlskey <file>             Private key for server certificate (PEM)
    --tlsverify                 Enable TLS, verify client certificates
    --tlscacert <file>          Client certificate CA for verification (PEM)

In a configuration file:

    tls {
      cert_file: "server-cert.pem"
      key_file:  "server-key.pem"
      ca_file:   "ca.pem"        # CA for client certificates
      verify:    true            # require client certificates
      timeout:   2               # handshake timeout in seconds
      handshake_first: true      # TLS before INFO (or "auto" / a fallback duration)
    }
`;
}
