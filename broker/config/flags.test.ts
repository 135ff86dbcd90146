import { describe, expect, it } from "vitest";
import { flagSpecs, FlagError, parseFlags, usageText } from "./flags.js";
import { load, loadError, loadOk, pem } from "./test-helpers.js";

describe("Go-style flag syntax", () => {
  const cases: Array<[string, string[], Record<string, unknown>, string[]]> = [
    ["short value", ["-p", "4333"], { port: 4333 }, []],
    ["long value", ["--port", "4333"], { port: 4333 }, []],
    ["single-dash long name", ["-port", "4333"], { port: 4333 }, []],
    ["inline value", ["--port=4333"], { port: 4333 }, []],
    ["single-dash inline value", ["-p=4333"], { port: 4333 }, []],
    ["negative value as next argument", ["-p", "-1"], { port: -1 }, []],
    ["multi-letter single-dash flags", ["-js", "-sd", "/d", "-DV", "-ms", "8443"], { jetstream: true, store_dir: "/d", DV: true, https_port: 8443 }, []],
    ["double-dash short names", ["--js", "--sd=/e"], { jetstream: true, store_dir: "/e" }, []],
    ["bool with explicit false", ["-T=false"], { logtime: false }, []],
    ["bool with Go spellings", ["--tls=1", "--no_advertise=F"], { tls: true, no_advertise: false }, []],
    ["last repeat wins", ["-p", "1", "-p", "2"], { port: 2 }, []],
    ["aliases share a value", ["-a", "h1", "--net", "h2"], { addr: "h2" }, []],
    ["stops at first positional", ["-D", "version", "-V"], { debug: true }, ["version", "-V"]],
    ["stops at --", ["-D", "--", "-V"], { debug: true }, ["-V"]],
    ["lone dash is positional", ["-"], {}, ["-"]],
    ["value may be empty when inline", ["--user="], { user: "" }, []],
    ["value flag takes a dash-led argument", ["--pass", "--weird"], { pass: "--weird" }, []],
  ];
  it.each(cases)("%s", (_name, argv, values, positional) => {
    const parsed = parseFlags(argv);
    expect(Object.fromEntries(parsed.values)).toEqual(values);
    expect(parsed.positional).toEqual(positional);
  });

  const errors: Array<[string, string[], string]> = [
    ["unknown flag", ["-x"], "flag provided but not defined: -x"],
    ["unknown long flag", ["--prot", "1"], "flag provided but not defined: -prot"],
    ["case matters", ["-d"], "flag provided but not defined: -d"],
    ["missing value", ["-p"], "flag needs an argument: -p"],
    ["non-integer", ["-p", "abc"], 'invalid value "abc" for flag -p: expected an integer'],
    ["float for integer", ["--http_port=1.5"], 'invalid value "1.5" for flag -http_port: expected an integer'],
    ["bad bool", ["-D=maybe"], 'invalid boolean value "maybe" for -D: expected true or false'],
    ["triple dash", ["---p"], "bad flag syntax: ---p"],
    ["dash equals", ["-=1"], "bad flag syntax: -=1"],
    ["unsupported nats-server flag", ["--syslog"], "flag -s is not supported by Sluice: log to stderr or a file (-l) instead"],
    ["unsupported profile flag", ["--profile", "6060"], "flag -profile is not supported by Sluice: Go profiling does not apply; run node with --cpu-prof"],
  ];
  it.each(errors)("error: %s", (_name, argv, message) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
    expect(() => parseFlags(argv)).toThrow(message);
  });

  it("usage lists every supported flag name, and only those", () => {
    const usage = usageText("sluice broker");
    for (const spec of flagSpecs) {
      if (spec.unsupported !== undefined) continue;
      for (const name of spec.names) {
        const shown = usage.includes(`-${name} `) || usage.includes(`-${name},`) || usage.includes(`-${name}\n`);
        expect(shown, `usage mentions -${name}`).toBe(true);
      }
    }
    const mentioned = [...usage.matchAll(/(?:^|[\s,])--?([A-Za-z_]+)(?=[\s,=]|$)/gm)].map((m) => m[1]);
    const known = new Set(flagSpecs.flatMap((s) => s.names));
    for (const name of mentioned) expect(known.has(name ?? ""), `-${name} in usage is a defined flag`).toBe(true);
  });
});

describe("loadServerOptions: help, version, -t and exit codes", () => {
  it.each([["-h"], ["--help"], ["-help"], ["help"]])("%s prints usage and exits 0", (arg) => {
    const r = load({ argv: [arg] });
    expect(r).toMatchObject({ kind: "exit", code: 0 });
    expect(r.kind === "exit" && r.output).toContain("Usage: sluice broker [options]");
  });
  it.each([["-v"], ["--version"], ["version"]])("%s prints the version and exits 0", (arg) => {
    expect(load({ argv: [arg] })).toEqual({ kind: "exit", code: 0, output: "sluice broker: v2.10.22\n" });
  });
  it("--help_tls prints TLS help", () => {
    const r = load({ argv: ["--help_tls"] });
    expect(r.kind === "exit" && r.code === 0 && r.output).toContain("--tlscert <file>");
  });
  it("unknown flags exit 2 with a pointer to --help", () => {
    expect(load({ argv: ["--bogus"] })).toEqual({
      kind: "exit",
      code: 2,
      output: "sluice broker: flag provided but not defined: -bogus\nRun 'sluice broker --help' for usage.\n",
    });
  });
  it("a stray argument exits 2, with a hint for boolean flags", () => {
    expect(load({ argv: ["-T", "false"] })).toMatchObject({
      kind: "exit",
      code: 2,
      output: expect.stringContaining('unexpected argument "false" (boolean flags take -flag=value, e.g. -T=false)'),
    });
  });
  it("-t with a valid file exits 0 and says so", () => {
    expect(load({ conf: "port: 4222", argv: ["-t"] })).toEqual({
      kind: "exit",
      code: 0,
      output: "sluice broker: configuration file sluice.conf is valid\n",
    });
  });
  it("-t with an invalid file exits 1 with the error", () => {
    expect(load({ conf: "prot: 4222", argv: ["-t"] })).toEqual({
      kind: "exit",
      code: 1,
      output: 'sluice broker: sluice.conf:1:1: unknown key "prot" (did you mean "port"?)\n',
    });
  });
  it("-t is pedantic like nats-server: deprecated forms fail it", () => {
    expect(load({ conf: "ping_interval: 120", argv: ["-t"] })).toEqual({
      kind: "exit",
      code: 1,
      output: 'sluice broker: sluice.conf:1:16: ping_interval: a bare number is read as seconds; prefer a duration string such as "120s"\n',
    });
    expect(load({ conf: "ping_interval: 120" })).toMatchObject({ kind: "ok" });
  });
  it("-t does not fail on runtime warnings (temporary JetStream storage)", () => {
    expect(load({ conf: "jetstream: enabled", argv: ["-t"] })).toMatchObject({ kind: "exit", code: 0 });
  });
  it("-t without -c exits 1", () => {
    expect(load({ argv: ["-t"] })).toEqual({
      kind: "exit",
      code: 1,
      output: "sluice broker: must specify [-c, --config] option to check configuration file syntax\n",
    });
  });
  it("no arguments gives the defaults", () => {
    expect(load({ argv: [] })).toMatchObject({ kind: "ok", warnings: [] });
  });
});

describe("flags map to options", () => {
  const cases: Array<[string, string[], Record<string, unknown>]> = [
    ["addr/port", ["-a", "127.0.0.1", "-p", "4333"], { host: "127.0.0.1", port: 4333 }],
    ["name", ["-n", "n1"], { server_name: "n1" }],
    ["server_name", ["--server_name", "n2"], { server_name: "n2" }],
    ["monitoring", ["-m", "8222"], { http_port: 8222 }],
    ["pid/ports/log", ["-P", "/r/p.pid", "--ports_file_dir", "/tmp/p", "-l", "/l.log"], { pid_file: "/r/p.pid", ports_file_dir: "/tmp/p", log_file: "/l.log" }],
    ["logtime off", ["--logtime=false"], { logtime: false }],
    ["-D", ["-D"], { debug: true, trace: false }],
    ["-V", ["-V"], { debug: false, trace: true }],
    ["-DV", ["-DV"], { debug: true, trace: true }],
    ["-VV", ["-VV"], { debug: false, trace: true, trace_verbose: true }],
    ["-DVV", ["-DVV"], { debug: true, trace: true, trace_verbose: true }],
    ["client_advertise", ["--client_advertise", "a:1"], { client_advertise: "a:1" }],
    ["user/pass", ["--user", "u", "--pass", "p"], { authorization: { user: "u", password: "p", timeout_ms: 2000 } }],
    ["token", ["--auth", "tok"], { authorization: { token: "tok", timeout_ms: 2000 } }],
    ["user without pass has the empty password", ["--user", "u"], { authorization: { user: "u", password: "", timeout_ms: 2000 } }],
  ];
  it.each(cases)("%s", (_name, argv, expected) => {
    expect(loadOk({ argv })).toMatchObject(expected);
  });

  it("-js uses a temporary store dir with a warning, -sd sets it", () => {
    const r = load({ argv: ["-js"] });
    expect(r.kind === "ok" && r.options.jetstream).toMatchObject({ enabled: true, store_dir: "/tmp/test/nats" });
    expect(r.kind === "ok" && r.warnings).toEqual([
      "JetStream: temporary storage directory used (/tmp/test/nats/jetstream), data could be lost on system reboot",
    ]);
    expect(loadOk({ argv: ["-js", "-sd", "/data"] }).jetstream).toMatchObject({ enabled: true, store_dir: "/data" });
    expect(loadOk({ argv: ["-sd", "/data"] }).jetstream).toMatchObject({ enabled: false, store_dir: "/data" });
  });

  it("TLS flags", () => {
    const files = { "c.pem": pem.cert, "k.pem": pem.key, "ca.pem": pem.cert };
    expect(loadOk({ argv: ["--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"], files }).tls).toEqual({
      cert_file: "c.pem",
      key_file: "k.pem",
      verify: false,
      timeout_ms: 2000,
      handshake_first: false,
    });
    expect(loadOk({ argv: ["--tlsverify", "--tlscert", "c.pem", "--tlskey", "k.pem", "--tlscacert", "ca.pem"], files }).tls).toMatchObject({
      verify: true,
      ca_file: "ca.pem",
    });
  });

  it("cluster flags", () => {
    const o = loadOk({
      argv: ["--cluster", "nats://r:secret@127.0.0.1:6333", "--routes", "nats-route://a:6222, nats-route://b:6222", "--cluster_name", "C9", "--cluster_advertise", "me:6333", "--no_advertise", "--connect_retries", "3"],
    });
    expect(o.cluster).toEqual({
      name: "C9",
      host: "127.0.0.1",
      port: 6333,
      routes: ["nats-route://a:6222", "nats-route://b:6222"],
      advertise: "me:6333",
      no_advertise: true,
      connect_retries: 3,
      authorization: { user: "r", password: "secret", timeout_ms: 2000 },
    });
    expect(loadOk({ argv: ["--cluster_listen", "nats://0.0.0.0:-1"] }).cluster).toMatchObject({ host: "0.0.0.0", port: -1 });
  });

  const errors: Array<[string, string[], string]> = [
    ["port out of range", ["-p", "70000"], "-port: port 70000 is out of range (0..65535, or -1 for random)"],
    ["monitor port out of range", ["-m", "-5"], "-http_port: port -5 is out of range (0..65535, or -1 for random)"],
    ["name with spaces", ["-n", "a b"], "-name: server name cannot be empty or contain spaces"],
    ["empty addr", ["-a="], "-addr: value must not be empty"],
    ["tls without cert", ["--tls", "--tlskey", "k"], "TLS Server certificate must be present and valid (--tlscert)"],
    ["tls without key", ["--tlsverify", "--tlscert", "c"], "TLS Server private key must be present and valid (--tlskey)"],
    ["tls cert without trigger", ["--tlscert", "c"], "--tlscert, --tlskey and --tlscacert need --tls or --tlsverify (or a tls block in the config file)"],
    ["tls cert file missing", ["--tls", "--tlscert", "nope.pem", "--tlskey", "nope.key"], 'tls.cert_file "nope.pem" does not exist'],
    ["routes without cluster", ["--routes", "nats-route://a:1"], "solicited routes require cluster capabilities, e.g. --cluster"],
    ["cluster name without cluster", ["--cluster_name", "C"], "cluster flags (--cluster_name, --cluster_advertise, --no_advertise, --connect_retries) require --cluster or a cluster block with listen/port"],
    ["bad cluster url", ["--cluster", "not a url"], '--cluster: invalid URL "not a url" (expected nats://[user:pass@]host:port)'],
    ["cluster user without password", ["--cluster", "nats://u@h:1"], "--cluster: expected cluster password to be set"],
    ["bad route url", ["--cluster", "nats://h:1", "--routes", "bogus"], '--routes: invalid route URL "bogus"'],
    ["user and token", ["--user", "u", "--pass", "p", "--auth", "t"], "authorization: cannot have a user/password and a token"],
    ["https without tls", ["-ms", "8443"], "https monitoring requires a tls block (or --tls flags)"],
  ];
  it.each(errors)("error: %s", (_name, argv, message) => {
    expect(loadError({ argv })).toBe(message);
  });
});

describe("flags override the config file", () => {
  const conf = `
    port: 4000
    server_name: from_file
    debug: false
    http_port: 8000
    jetstream { store_dir: /file/store, max_mem: 1G }
    authorization { user: fileuser, password: filepass }
    cluster { name: FILE, listen: "0.0.0.0:6000", routes: ["nats-route://f:6000"] }
    tls { cert_file: f.pem, key_file: f.key }
  `;
  const files = { "f.pem": pem.cert, "f.key": pem.key, "c.pem": pem.cert, "k.pem": pem.key };

  it("file values apply when no flag is given", () => {
    const o = loadOk({ conf, files });
    expect(o).toMatchObject({ port: 4000, server_name: "from_file", http_port: 8000, debug: false });
    expect(o.jetstream).toMatchObject({ enabled: true, store_dir: "/file/store", max_memory_store_bytes: 1e9 });
  });

  const cases: Array<[string, string[], (o: ReturnType<typeof loadOk>) => unknown, unknown]> = [
    ["-p", ["-p", "4001"], (o) => o.port, 4001],
    ["-n", ["-n", "from_flag"], (o) => o.server_name, "from_flag"],
    ["-D", ["-D"], (o) => o.debug, true],
    ["-m", ["-m", "8001"], (o) => o.http_port, 8001],
    ["-sd keeps other jetstream keys", ["-sd", "/flag/store"], (o) => o.jetstream, expect.objectContaining({ store_dir: "/flag/store", max_memory_store_bytes: 1e9 })],
    ["-js=false disables", ["-js=false"], (o) => o.jetstream.enabled, false],
    ["--user/--pass replace file credentials", ["--user", "u2", "--pass", "p2"], (o) => o.authorization, { user: "u2", password: "p2", timeout_ms: 2000 }],
    ["--pass alone keeps the file user", ["--pass", "p3"], (o) => o.authorization, { user: "fileuser", password: "p3", timeout_ms: 2000 }],
    ["--cluster_name", ["--cluster_name", "FLAG"], (o) => o.cluster?.name, "FLAG"],
    ["--routes replaces", ["--routes", "nats-route://r:1"], (o) => o.cluster?.routes, ["nats-route://r:1"]],
    ["--cluster replaces the listen address", ["--cluster", "nats://127.0.0.1:6001"], (o) => [o.cluster?.host, o.cluster?.port, o.cluster?.name], ["127.0.0.1", 6001, "FILE"]],
    ["--tlscert refines the file's tls block", ["--tlscert", "c.pem"], (o) => o.tls, expect.objectContaining({ cert_file: "c.pem", key_file: "f.key" })],
    ["--tls replaces the file's tls block", ["--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"], (o) => o.tls, expect.objectContaining({ cert_file: "c.pem", key_file: "k.pem", verify: false })],
  ];
  it.each(cases)("%s", (_name, argv, pick, expected) => {
    expect(pick(loadOk({ conf, files, argv }))).toEqual(expected);
  });

  it("flag order relative to -c does not matter", () => {
    expect(loadOk({ conf, files, argv: ["-p", "4002", "-c", "sluice.conf"] }).port).toBe(4002);
    expect(loadOk({ conf, files, argv: ["-c", "sluice.conf", "-p", "4003"] }).port).toBe(4003);
  });

  it("a flag can create a conflict the file did not have", () => {
    expect(loadError({ conf, files, argv: ["--auth", "tok"] })).toBe("authorization: cannot have a user/password and a token");
  });
});

describe("-sl/--signal", () => {
  const cases: Array<[string, string[], Record<string, string>, [number, string]]> = [
    ["reload with a PID", ["-sl", "reload=1234"], {}, [1234, "SIGHUP"]],
    ["ldm with a PID file", ["--signal", "ldm=/run/b.pid"], { "/run/b.pid": "4321\n" }, [4321, "SIGUSR2"]],
    ["stop via -P", ["-P", "/run/b.pid", "-sl", "stop"], { "/run/b.pid": "55" }, [55, "SIGKILL"]],
    ["quit", ["-sl=quit=7"], {}, [7, "SIGINT"]],
    ["term", ["-sl", "term=8"], {}, [8, "SIGTERM"]],
    ["reopen", ["-sl", "REOPEN=9"], {}, [9, "SIGUSR1"]],
  ];
  it.each(cases)("%s", (_name, argv, files, expected) => {
    const sent: Array<[number, string]> = [];
    expect(load({ argv, files, sent })).toEqual({ kind: "exit", code: 0, output: "" });
    expect(sent).toEqual([expected]);
  });

  it("uses the config file's pid_file", () => {
    const sent: Array<[number, string]> = [];
    expect(load({ conf: "pid_file: /run/c.pid", argv: ["-sl", "reload"], files: { "/run/c.pid": "77" }, sent })).toMatchObject({ code: 0 });
    expect(sent).toEqual([[77, "SIGHUP"]]);
  });

  const errors: Array<[string, string[], Record<string, string>, string]> = [
    ["unknown command", ["-sl", "explode=1"], {}, '-sl: unknown signal "explode" (expected one of stop, quit, term, reopen, reload, ldm)'],
    ["no target", ["-sl", "reload"], {}, "-sl: no process given: use -sl reload=<pid> or -sl reload=<pid file>, or -P <pid file>"],
    ["missing PID file", ["-sl", "reload=/run/none.pid"], {}, "-sl: cannot read PID file /run/none.pid: ENOENT: no such file or directory, open '/run/none.pid'"],
    ["garbage PID file", ["-sl", "reload=/run/g.pid"], { "/run/g.pid": "abc" }, "-sl: PID file /run/g.pid does not contain a PID"],
    ["PID 1 refused", ["-sl", "stop=1"], {}, "-sl: invalid PID 1 (from 1)"],
    ["process gone", ["-sl", "reload=99999"], {}, "-sl: cannot send SIGHUP to process 99999: kill ESRCH"],
  ];
  it.each(errors)("error: %s", (_name, argv, files, message) => {
    const sent: Array<[number, string]> = [];
    expect(loadError({ argv, files, sent })).toBe(message);
    expect(sent).toEqual([]);
  });
});
