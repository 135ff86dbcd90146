import { describe, expect, it } from "vitest";
import { defaultOptions } from "./options.js";
import { isSubsetMatch } from "./validate.js";
import { load, loadError, loadOk, pem } from "./test-helpers.js";

const MB = 1024 * 1024;

describe("top-level keys map to ServerOptions", () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ["port", "port: 4333", { port: 4333 }],
    ["port -1 (random)", "port: -1", { port: -1 }],
    ["port 0 means default", "port: 0", { port: 4222 }],
    ["listen host:port", "listen: 127.0.0.1:4555", { host: "127.0.0.1", port: 4555 }],
    ["listen :port", 'listen: ":4556"', { host: "0.0.0.0", port: 4556 }],
    ["listen [v6]:port", 'listen: "[::1]:4557"', { host: "::1", port: 4557 }],
    ["listen bare port", "listen: 4558", { port: 4558 }],
    ["host", "host: 127.0.0.2", { host: "127.0.0.2" }],
    ["net", "net: 127.0.0.3", { host: "127.0.0.3" }],
    ["server_name", "server_name: n1", { server_name: "n1" }],
    ["client_advertise", "client_advertise: 'nats.example:4222'", { client_advertise: "nats.example:4222" }],
    ["http_port", "http_port: 8222", { http_port: 8222 }],
    ["monitor_port", "monitor_port: 8223", { http_port: 8223 }],
    ["http host:port", 'http: "127.0.0.1:8224"', { http_host: "127.0.0.1", http_port: 8224 }],
    ["max_payload bare", "max_payload: 2097152", { max_payload_bytes: 2 * MB }],
    ["max_payload MB", "max_payload: 2MB", { max_payload_bytes: 2 * MB }],
    ["max_payload M (1000s)", "max_payload: 2M", { max_payload_bytes: 2_000_000 }],
    ["max_payload quoted", 'max_payload: "4MB"', { max_payload_bytes: 4 * MB }],
    ["max_payload 0 means default", "max_payload: 0", { max_payload_bytes: MB }],
    ["max_connections", "max_connections: 100", { max_connections: 100 }],
    ["max_conn", "max_conn: 101", { max_connections: 101 }],
    ["max_control_line", "max_control_line: 8KB", { max_control_line_bytes: 8192 }],
    ["max_pending", "max_pending: 128MB", { max_pending_bytes: 128 * MB }],
    ["max_subscriptions", "max_subscriptions: 10", { max_subscriptions: 10 }],
    ["max_subs", "max_subs: 11", { max_subscriptions: 11 }],
    ["ping_interval string", 'ping_interval: "30s"', { ping_interval_ms: 30_000 }],
    ["ping_interval seconds", "ping_interval: 45", { ping_interval_ms: 45_000 }],
    ["ping_interval unquoted 2m", "ping_interval: 2m", { ping_interval_ms: 120_000 }],
    ["ping_max", "ping_max: 5", { ping_max: 5 }],
    ["write_deadline", 'write_deadline: "2s"', { write_deadline_ms: 2_000 }],
    ["lame_duck_duration", 'lame_duck_duration: "1m"', { lame_duck_duration_ms: 60_000 }],
    ["lame_duck_grace_period", 'lame_duck_grace_period: "5s"', { lame_duck_grace_period_ms: 5_000 }],
    ["pid_file", "pid_file: /run/n.pid", { pid_file: "/run/n.pid" }],
    ["ports_file_dir", "ports_file_dir: /tmp", { ports_file_dir: "/tmp" }],
    ["log_file", "log_file: /var/log/n.log", { log_file: "/var/log/n.log" }],
    ["debug/trace/logtime", "debug: true\ntrace: yes\nlogtime: off", { debug: true, trace: true, logtime: false }],
    ["zero durations and ping_max mean the defaults", 'ping_interval: "0s"\nwrite_deadline: "0s"\nlame_duck_grace_period: "0s"\nping_max: 0', { ping_interval_ms: 120_000, write_deadline_ms: 10_000, lame_duck_grace_period_ms: 10_000, ping_max: 2 }],
    ["max_connections -1 means no (practical) limit", "max_connections: -1", { max_connections: 10_000_000 }],
    ["keys are case-insensitive", "PORT: 4999\nMax_Payload: 1KB", { port: 4999, max_payload_bytes: 1024 }],
    ["system_account", "accounts { SYS: {} }\nsystem_account: SYS", { system_account: "SYS" }],
  ];
  it.each(cases)("%s", (_name, conf, expected) => {
    expect(loadOk({ conf })).toMatchObject(expected);
  });

  it("leaves defaults alone for a config that sets them, and records the config path", () => {
    const o = loadOk({ conf: "port: 4222" });
    const { config_file, ...rest } = o;
    expect(rest).toEqual(defaultOptions());
    expect(config_file).toMatch(/sluice\.conf$/);
  });

  it.each([[""], ["# only a comment\n"]])("rejects a config with no values (%j), as nats-server does", (conf) => {
    expect(loadError({ conf })).toBe("sluice.conf: config has no values or is empty");
  });

  it("treats empty strings as unset, as nats-server does", () => {
    const o = loadOk({ conf: 'pid_file: ""\nserver_name: ""\nhost: ""\nauthorization { token: "" }\njetstream { store_dir: "", domain: "" }' });
    expect(o).toMatchObject({ server_name: "", host: "0.0.0.0", authorization: { timeout_ms: 2000 } });
    expect(o.pid_file).toBeUndefined();
    expect(o.authorization?.token).toBeUndefined();
    expect(o.jetstream.domain).toBeUndefined();
    expect(o.jetstream.store_dir).toBe("/tmp/test/nats");
  });

  it("warns about bare-number durations and unquoted suffixed durations", () => {
    const r = load({ conf: "ping_interval: 45\nwrite_deadline: 2m" });
    expect(r.kind === "ok" && r.warnings).toEqual([
      'sluice.conf:1:16: ping_interval: a bare number is read as seconds; prefer a duration string such as "45s"',
      'sluice.conf:2:17: write_deadline: unquoted 2m read as a duration; quote it ("2m") for nats-server compatibility',
    ]);
  });

  it("skips keys used only as variables and lets the last duplicate win", () => {
    expect(loadOk({ conf: "MYPORT: 4100\nport: $MYPORT\nport: 4101" }).port).toBe(4101);
  });

  it("still applies a known key that is also used as a variable (as nats-server does)", () => {
    expect(loadOk({ conf: "max_subs: 7\nping_max: $max_subs" })).toMatchObject({ max_subscriptions: 7, ping_max: 7 });
    expect(loadOk({ conf: "jetstream { store_dir: /d, encryption_key_file: $store_dir }", files: { "/d": "" } }).jetstream).toMatchObject({
      store_dir: "/d",
      encryption_key_file: "/d",
    });
  });

  it("a variable spelled like a key does not override the real setting", () => {
    expect(loadOk({ conf: "port: 4100\nPORT: 4999\nhttp_port: $PORT" })).toMatchObject({
      port: 4100,
      http_port: 4999,
    });
  });
});

describe("authorization, users and permissions", () => {
  it("single user", () => {
    expect(loadOk({ conf: "authorization { user: a, password: b, timeout: 3 }" }).authorization).toEqual({
      user: "a",
      password: "b",
      timeout_ms: 3000,
    });
  });
  it("aliases username/pass and fractional timeout", () => {
    expect(loadOk({ conf: "authorization { username: a\n pass: b\n timeout: 0.5 }" }).authorization).toEqual({
      user: "a",
      password: "b",
      timeout_ms: 500,
    });
  });
  it("a user without a password has the empty password (as in nats-server)", () => {
    expect(loadOk({ conf: "authorization { user: a }" }).authorization).toEqual({ user: "a", password: "", timeout_ms: 2000 });
    const o = loadOk({ conf: "authorization { users: [{user: guest}, {user: b, password: c}] }\nno_auth_user: guest" });
    expect(o.authorization?.users?.[0]).toEqual({ user: "guest", password: "" });
  });
  it("token", () => {
    expect(loadOk({ conf: "authorization { token: s3cr3t }" }).authorization).toEqual({ token: "s3cr3t", timeout_ms: 2000 });
  });
  it("users with permissions in every accepted shape", () => {
    const conf = `
      authorization {
        default_permissions = { publish: "public.>" }
        users = [
          { user: alice, password: "$2a$11$abcdefghijklmnopqrstuv", permissions: {
              publish: { allow: ["orders.>"], deny: "orders.x" }
              subscribe: ["events.>", "jobs.* workers"]
              allow_responses: true } }
          { user: bob, password: b, permissions: { pub: "a", sub: { deny: [">"] }, allow_responses: { max: 3, expires: "1m" } } }
          { username: carol, pass: c, permission: { import: x, export: y } }
        ]
      }
      no_auth_user: bob`;
    const o = loadOk({ conf });
    expect(o.no_auth_user).toBe("bob");
    expect(o.authorization).toEqual({
      timeout_ms: 2000,
      default_permissions: { publish: { allow: ["public.>"] } },
      users: [
        {
          user: "alice",
          password: "$2a$11$abcdefghijklmnopqrstuv",
          permissions: {
            publish: { allow: ["orders.>"], deny: ["orders.x"] },
            subscribe: { allow: ["events.>", "jobs.* workers"] },
            allow_responses: { max: 1, expires_ms: 120_000 },
          },
        },
        {
          user: "bob",
          password: "b",
          permissions: { publish: { allow: ["a"] }, subscribe: { deny: [">"] }, allow_responses: { max: 3, expires_ms: 60_000 } },
        },
        { user: "carol", password: "c", permissions: { publish: { allow: ["x"] }, subscribe: { allow: ["y"] } } },
      ],
    });
  });
  it("allow_responses without a publish allow list turns off the blanket publish allow", () => {
    const o = loadOk({ conf: "authorization { users: [{user: a, password: b, permissions: { allow_responses: true }}] }" });
    expect(o.authorization?.users?.[0]?.permissions).toEqual({ publish: { allow: [] }, allow_responses: { max: 1, expires_ms: 120_000 } });
  });
});

describe("accounts", () => {
  it("parses accounts, their users, exports and imports", () => {
    const conf = `
      accounts {
        A: { users: [{user: a, password: a}], jetstream: enabled,
             exports: [{stream: "a.>"}, {service: "svc.>", accounts: [B], response_type: stream}] }
        B: { users: [{user: b, password: b}],
             imports: [{stream: {account: A, subject: "a.>"}, prefix: from_a}, {service: {account: A, subject: "svc.>"}, to: "asvc.>"}] }
        SYS: { users: [{user: sys, password: sys}] }
      }
      system_account: SYS
      no_auth_user: b`;
    const o = loadOk({ conf });
    expect(o.accounts).toEqual([
      {
        name: "A",
        users: [{ user: "a", password: "a", account: "A" }],
        jetstream: true,
        exports: [{ stream: "a.>" }, { service: "svc.>", accounts: ["B"], response_type: "stream" }],
        imports: [],
      },
      {
        name: "B",
        users: [{ user: "b", password: "b", account: "B" }],
        jetstream: false,
        exports: [],
        imports: [
          { stream: { account: "A", subject: "a.>" }, prefix: "from_a" },
          { service: { account: "A", subject: "svc.>" }, to: "asvc.>" },
        ],
      },
      { name: "SYS", users: [{ user: "sys", password: "sys", account: "SYS" }], jetstream: false, exports: [], imports: [] },
    ]);
  });
});

describe("tls, jetstream and cluster blocks", () => {
  const files = { "s.pem": pem.cert, "s.key": pem.key, "ca.pem": pem.cert };
  it("tls", () => {
    const o = loadOk({ conf: "tls { cert_file: s.pem, key_file: s.key, ca_file: ca.pem, verify: true, timeout: 3, handshake_first: true }", files });
    expect(o.tls).toEqual({ cert_file: "s.pem", key_file: "s.key", ca_file: "ca.pem", verify: true, timeout_ms: 3000, handshake_first: true });
  });
  it.each([
    ["auto", 50],
    ['"300ms"', 300],
  ])("tls handshake_first: %s", (value, fallback) => {
    const o = loadOk({ conf: `tls { cert_file: s.pem, key_file: s.key, handshake_first: ${value} }`, files });
    expect(o.tls).toMatchObject({ handshake_first: true, handshake_first_fallback_ms: fallback });
  });
  it("https monitoring with tls", () => {
    const o = loadOk({ conf: "https_port: 8443\ntls { cert_file: s.pem, key_file: s.key }", files });
    expect(o.https_port).toBe(8443);
  });

  const js: Array<[string, string, Record<string, unknown>]> = [
    ["jetstream: enabled", "jetstream: enabled", { enabled: true, store_dir: "/tmp/test/nats" }],
    ["jetstream: true", "jetstream: true", { enabled: true }],
    ["jetstream: disabled", "jetstream: disabled", { enabled: false }],
    ["block enables", "jetstream { store_dir: /data }", { enabled: true, store_dir: "/data" }],
    ["block with enabled: false", "jetstream { enabled: false }", { enabled: false }],
    ["store alias", "jetstream { store: /d1 }", { store_dir: "/d1" }],
    ["storedir alias", "jetstream { storedir: /d2 }", { store_dir: "/d2" }],
    ["top-level store_dir", "jetstream: enabled\nstore_dir: /d3", { enabled: true, store_dir: "/d3" }],
    ["max_mem quoted binary", 'jetstream { max_mem: "1G" }', { max_memory_store_bytes: 1024 ** 3 }],
    ["max_memory_store", "jetstream { max_memory_store: 512MB }", { max_memory_store_bytes: 512 * MB }],
    ["max_mem_store", "jetstream { max_mem_store: 1000 }", { max_memory_store_bytes: 1000 }],
    ["max_file", "jetstream { max_file: 10G }", { max_file_store_bytes: 10e9 }],
    ["max_file_store", "jetstream { max_file_store: 10GB }", { max_file_store_bytes: 10 * 1024 ** 3 }],
    ["max_file -1 is dynamic", "jetstream { max_file: -1 }", { max_file_store_bytes: 0 }],
    ["sync_interval duration", 'jetstream { sync_interval: "2m" }', { sync: "interval", sync_interval_ms: 120_000 }],
    ["sync alias duration", 'jetstream { sync: "10s" }', { sync: "interval", sync_interval_ms: 10_000 }],
    ["sync_interval always", "jetstream { sync_interval: always }", { sync: "always" }],
    ["sync never (Sluice)", "jetstream { sync: never }", { sync: "never" }],
    ["sync interval (Sluice)", "jetstream { sync: interval }", { sync: "interval", sync_interval_ms: 120_000 }],
    ["domain", "jetstream { domain: hub }", { domain: "hub" }],
    ["encryption_key_file (Sluice)", "jetstream { encryption_key_file: k.hex }", { encryption_key_file: "k.hex" }],
  ];
  it.each(js)("%s", (_name, conf, expected) => {
    expect(loadOk({ conf, files: { "k.hex": "" } }).jetstream).toMatchObject(expected);
  });

  it("cluster block", () => {
    const conf = `
      cluster {
        name: C1
        listen: "0.0.0.0:6333"
        routes: ["nats-route://n2:6222", "nats://user:pw@n3:6222"]
        advertise: "n1.example:6333"
        no_advertise: true
        connect_retries: 5
        authorization { user: r, password: p, timeout: 2 }
      }`;
    expect(loadOk({ conf }).cluster).toEqual({
      name: "C1",
      host: "0.0.0.0",
      port: 6333,
      routes: ["nats-route://n2:6222", "nats://user:pw@n3:6222"],
      advertise: "n1.example:6333",
      no_advertise: true,
      connect_retries: 5,
      authorization: { user: "r", password: "p", timeout_ms: 2000 },
    });
  });
  it("cluster host + port and a single route string", () => {
    expect(loadOk({ conf: "cluster { host: 127.0.0.1, port: -1, routes: nats-route://a:1 }" }).cluster).toMatchObject({
      host: "127.0.0.1",
      port: -1,
      routes: ["nats-route://a:1"],
    });
  });
});

describe("errors name the file, line and key", () => {
  const cases: Array<[string, string, string]> = [
    ["unknown key with suggestion", "port: 1\n\nmax_paylod: 1MB", 'sluice.conf:3:1: unknown key "max_paylod" (did you mean "max_payload"?)'],
    ["unknown key without suggestion", "zzzzzz: 1", 'sluice.conf:1:1: unknown key "zzzzzz"'],
    ["unknown nested key", "jetstream {\n  sotre_dir: /x\n}", 'sluice.conf:2:3: unknown key "sotre_dir" in jetstream (did you mean "store_dir"?)'],
    ["unknown key in a user", "authorization { users: [{user: a, password: b, permisions: {}}] }", 'sluice.conf:1:48: unknown key "permisions" in authorization.users[0] (did you mean "permissions"?)'],
    ["unsupported nats-server key", "websocket { port: 1 }", 'sluice.conf:1:1: key "websocket" is not supported by Sluice: WebSocket clients are not implemented'],
    ["unsupported nested key", "tls { cert_file: a, key_file: b, verify_and_map: true }", 'sluice.conf:1:34: key "verify_and_map" in tls is not supported by Sluice: mapping client certificates to users is not implemented'],
    ["bad size", "port: 1\nmax_payload:   abc", 'sluice.conf:2:16: max_payload: expected a size (e.g. 1048576, 1MB, "1G"), got "abc"'],
    ["negative size", "max_pending: -5", "sluice.conf:1:14: max_pending: -5 is out of range (0..4294967296 bytes)"],
    ["max_payload above 64MB", "max_payload: 65MB\nmax_pending: 1GB", "sluice.conf:1:14: max_payload: 65MB is out of range (0..67108864 bytes)"],
    ["max_payload above max_pending", "max_payload: 8MB\nmax_pending: 4MB", "sluice.conf:1:14: max_payload (8388608) cannot be higher than max_pending (4194304)"],
    ["bad port type", 'port: "abc"', 'sluice.conf:1:7: port: expected a port number, got "abc"'],
    ["port out of range", "port: 70000", "sluice.conf:1:7: port: port 70000 is out of range (0..65535, or -1 for random)"],
    ["port -2", "port: -2", "sluice.conf:1:7: port: port -2 is out of range (0..65535, or -1 for random)"],
    ["bad listen", "listen: nohostport", 'sluice.conf:1:9: listen: expected a "host:port" address, got "nohostport"'],
    ["bad listen host", 'listen: "]0.0.0.0:4222"', 'sluice.conf:1:9: listen: expected a "host:port" address, got "]0.0.0.0:4222"'],
    ["bad http", 'http: "h:99999"', "sluice.conf:1:7: http: port 99999 is out of range (0..65535, or -1 for random)"],
    ["bad bool", "debug: maybe", 'sluice.conf:1:8: debug: expected a boolean (true/false), got "maybe"'],
    ["bad int", "max_connections: lots", 'sluice.conf:1:18: max_connections: expected an integer, got "lots"'],
    ["int range", "ping_max: -1", "sluice.conf:1:11: ping_max: -1 is out of range (0..1000000)"],
    ["bad duration", 'ping_interval: "soon"', 'sluice.conf:1:16: ping_interval: expected a duration (e.g. "2m", "500ms", "10s"), got "soon"'],
    ["negative duration", 'write_deadline: "-1s"', 'sluice.conf:1:17: write_deadline: "-1s" is out of range'],
    ["lame duck minimum", 'lame_duck_duration: "10s"', "sluice.conf:1:21: lame_duck_duration: invalid lame_duck_duration of 10s, minimum is 30 seconds"],
    ["lame duck grace", 'lame_duck_duration: "30s"\nlame_duck_grace_period: "40s"', "sluice.conf:2:25: lame duck grace period (40s) should be strictly lower than lame duck duration (30s)"],
    ["server name with spaces", 'server_name: "a b"', "sluice.conf:1:14: server_name: server name cannot contain spaces"],
    ["block where a scalar belongs", "port { a: 1 }", "sluice.conf:1:6: port: expected a port number, got a block { ... }"],
    ["scalar where a block belongs", "tls: yes", "sluice.conf:1:6: tls: expected a block { ... }, got boolean yes"],
    ["http and https together", "http_port: 1\nhttps_port: 2\ntls { cert_file: s.pem, key_file: s.key }", "sluice.conf:2:13: cannot specify both an http port (1) and an https port (2) for monitoring"],
    ["https without tls", "https_port: 8443", "sluice.conf:1:13: https monitoring requires a tls block (or --tls flags)"],
    ["tls without cert", "tls { key_file: s.key }", "sluice.conf:1:5: tls: missing cert_file"],
    ["tls without key", "tls { cert_file: s.pem }", "sluice.conf:1:5: tls: missing key_file"],
    ["tls file missing", "tls { cert_file: nope.pem, key_file: s.key }", 'sluice.conf:1:5: tls.cert_file "nope.pem" does not exist'],
    ["tls bad handshake_first", "tls { cert_file: s.pem, key_file: s.key, handshake_first: sometimes }", 'sluice.conf:1:59: tls.handshake_first: expected true, false, "auto" or a fallback duration, got "sometimes"'],
    ["token and user", "authorization { user: a, password: b, token: t }", "sluice.conf:1:15: authorization: cannot have a user/password and a token"],
    ["users and user", "authorization { user: a, password: b, users: [] }", "sluice.conf:1:15: authorization: cannot have a single user/password or token and a users array"],
    ["response_type on a stream export", "accounts { A: { exports: [{stream: a.>, response_type: stream}] } }", "sluice.conf:1:27: accounts.A.exports[0]: response_type is only valid for a service export"],
    ["import without export", "accounts { A: {}, B: { imports: [{stream: {account: A, subject: x}}] } }", 'sluice.conf:1:10: accounts.B: stream import "x" from account "A" not authorized (no matching stream export)'],
    ["import wider than export", "accounts { A: {exports: [{stream: \"a.b.*\"}]}, B: { imports: [{stream: {account: A, subject: \"a.>\"}}] } }", 'sluice.conf:1:10: accounts.B: stream import "a.>" from account "A" not authorized (no matching stream export)'],
    ["import by an account not allowed", "accounts { A: {exports: [{service: s, accounts: [C]}]}, B: { imports: [{service: {account: A, subject: s}}] }, C: {} }", 'sluice.conf:1:10: accounts.B: service import "s" from account "A" not authorized (no matching service export)'],
    ["service import of a stream export", "accounts { A: {exports: [{stream: s}]}, B: { imports: [{service: {account: A, subject: s}}] } }", 'sluice.conf:1:10: accounts.B: service import "s" from account "A" not authorized (no matching service export)'],
    ["users entry without user", "authorization { users: [{password: x}] }", "sluice.conf:1:25: authorization.users[0]: user entry requires a user"],
    ["users not an array", "authorization { users: {user: x} }", "sluice.conf:1:24: authorization.users: expected an array [ ... ], got a block { ... }"],
    ["nkey users", "authorization { users: [{nkey: UABC}] }", 'sluice.conf:1:26: key "nkey" in authorization.users[0] is not supported by Sluice: nkey authentication is not implemented; use user/password or token'],
    ["bad permission subject", "authorization { users: [{user: a, password: b, permissions: {publish: \"a..b\"}}] }", 'sluice.conf:1:71: authorization.users[0].permissions.publish: invalid subject "a..b": subjects cannot have empty tokens'],
    ["full wildcard not last", "authorization { default_permissions: {subscribe: [\"a.>.b\"]} }", 'sluice.conf:1:50: authorization.default_permissions.subscribe: invalid subject "a.>.b": \'>\' must be the last token'],
    ["too many parts in subscribe", "authorization { default_permissions: {subscribe: \"a b c\"} }", 'sluice.conf:1:50: authorization.default_permissions.subscribe: invalid subscribe permission "a b c": expected "subject" or "subject queue"'],
    ["space in publish subject", "authorization { default_permissions: {publish: \"a b\"} }", 'sluice.conf:1:48: authorization.default_permissions.publish: invalid subject "a b": subjects cannot contain whitespace'],
    ["unknown permission key", "authorization { default_permissions: {publsh: a} }", 'sluice.conf:1:39: unknown key "publsh" in authorization.default_permissions (did you mean "publish"?)'],
    ["no_auth_user unknown", "authorization { users: [{user: a, password: b}] }\nno_auth_user: ghost", 'sluice.conf:2:15: no_auth_user: "ghost" not present as user in authorization block or account configuration'],
    ["duplicate user", "authorization { users: [{user: a, password: b}, {user: a, password: c}] }", 'sluice.conf:1:15: duplicate user "a" in authorization'],
    ["duplicate user across accounts", "accounts { A: {users: [{user: u, password: p}]}, B: {users: [{user: u, password: q}]} }", 'sluice.conf:1:10: duplicate user "u" (in account A and account B)'],
    ["system account undefined", "system_account: NOPE", 'sluice.conf:1:17: system_account: account "NOPE" is not defined in accounts'],
    ["import from undefined account", "accounts { A: { imports: [{stream: {account: Z, subject: x}}] } }", 'sluice.conf:1:10: accounts.A: import from account "Z", which is not defined'],
    ["export without subject", "accounts { A: { exports: [{accounts: [A]}] } }", "sluice.conf:1:27: accounts.A.exports[0]: an export needs exactly one of stream or service"],
    ["jetstream bad word", "jetstream: sometimes", 'sluice.conf:1:12: jetstream: expected enabled, disabled, true, false or a block, got "sometimes"'],
    ["jetstream bad max_mem", 'jetstream { max_mem: "lots" }', 'sluice.conf:1:22: jetstream.max_mem: expected a size (e.g. 1048576, 1MB, "1G"), got "lots"'],
    ["jetstream bad sync", "jetstream { sync: sometimes }", 'sluice.conf:1:19: jetstream.sync: expected a duration (e.g. "2m", "500ms", "10s"), got "sometimes"'],
    ["jetstream bad domain", "jetstream { domain: a.b }", 'sluice.conf:1:21: jetstream.domain: invalid domain "a.b": no whitespace, \'.\', \'*\' or \'>\''],
    ["jetstream nats-server cipher", "jetstream { cipher: aes }", 'sluice.conf:1:13: key "cipher" in jetstream is not supported by Sluice: use the Sluice key encryption_key_file instead'],
    ["encryption key file missing", "jetstream { encryption_key_file: /no/key }", 'sluice.conf:1:11: jetstream.encryption_key_file "/no/key" does not exist'],
    ["cluster without listen", "cluster { name: C }", "sluice.conf:1:9: cluster: missing listen (or port)"],
    ["cluster name spaces", 'cluster { name: "a b", port: 1 }', "sluice.conf:1:17: cluster.name: cluster name cannot contain spaces"],
    ["cluster bad route", "cluster { port: 6222, routes: [\"http://x:1\"] }", 'sluice.conf:1:31: cluster.routes: route URL "http://x:1" must use nats-route:// or nats://'],
    ["cluster route without port", "cluster { port: 6222, routes: [\"nats-route://x\"] }", 'sluice.conf:1:31: cluster.routes: route URL "nats-route://x" needs a host and a port'],
    ["cluster auth incomplete", "cluster { port: 6222, authorization { user: r } }", "sluice.conf:1:37: cluster.authorization: route authorization requires user and password"],
    ["variable error surfaces", "port: $UNDEFINED_VAR", 'sluice.conf:1:7: variable reference "$UNDEFINED_VAR" cannot be resolved: not defined above and not in the environment'],
    ["syntax error surfaces", "port: [1", "sluice.conf:1:9: unexpected end of file: missing ']' for the array opened at line 1"],
  ];
  it.each(cases)("%s", (_name, conf, message) => {
    expect(loadError({ conf, files: { "s.pem": pem.cert, "s.key": pem.key, "bad.pem": "not a certificate" } })).toBe(message);
  });

  // The reason after "is not valid PEM:" comes from OpenSSL and varies between versions.
  it.each([
    ["cert not PEM", "tls { cert_file: bad.pem, key_file: s.key }", 'sluice.conf:1:5: tls.cert_file "bad.pem" is not valid PEM: '],
    ["key not PEM", "tls { cert_file: s.pem, key_file: bad.pem }", 'sluice.conf:1:5: tls.key_file "bad.pem" is not valid PEM: '],
    ["key is a certificate", "tls { cert_file: s.pem, key_file: s.pem }", 'sluice.conf:1:5: tls.key_file "s.pem" is not valid PEM: '],
    ["ca not PEM", "tls { cert_file: s.pem, key_file: s.key, ca_file: bad.pem }", 'sluice.conf:1:5: tls.ca_file "bad.pem" is not valid PEM: '],
  ])("tls %s", (_name, conf, prefix) => {
    const message = loadError({ conf, files: { "s.pem": pem.cert, "s.key": pem.key, "bad.pem": "not a certificate" } });
    expect(message.startsWith(prefix), message).toBe(true);
    expect(message.length).toBeGreaterThan(prefix.length);
  });

  it("reports a variable whose value has the wrong type at the reference", () => {
    expect(loadError({ conf: "X: abc\nmax_payload: $X" })).toBe(
      'sluice.conf:2:14: max_payload: expected a size (e.g. 1048576, 1MB, "1G"), got "abc"',
    );
  });

  it("reports errors in included files with the included file's name", () => {
    expect(loadError({ conf: "include 'extra.conf'", files: { "extra.conf": "\nmax_paylod: 1" } })).toBe(
      'extra.conf:2:1: unknown key "max_paylod" (did you mean "max_payload"?)',
    );
  });

  it("reports a missing config file", () => {
    expect(loadError({ argv: ["-c", "missing.conf"] })).toBe(
      "cannot read config file missing.conf: ENOENT: no such file or directory, open 'missing.conf'",
    );
  });
});

describe("isSubsetMatch (imports must stay inside exports)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["a.b", "a.b", true],
    ["a.b", "a.*", true],
    ["a.b.c", "a.>", true],
    ["a.*", "a.>", true],
    ["a.>", "a.>", true],
    ["a", "a.>", false],
    ["a.>", "a.*", false],
    ["a.b.c", "a.*", false],
    ["a.*", "a.b", false],
    [">", "a.>", false],
    ["x.y", ">", true],
    ["a.b", "a.c", false],
  ];
  it.each(cases)("%s within %s → %s", (subject, pattern, expected) => expect(isSubsetMatch(subject, pattern)).toBe(expected));
});
