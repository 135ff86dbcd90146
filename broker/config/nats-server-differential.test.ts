/**
 * Differential check against the real nats-server: for each config, `nats-server -c f -t` and
 * `sluice broker -c f -t` must agree on accept/reject, except for the deliberate differences
 * listed in README.md, which are asserted to still be differences (so a behaviour change on
 * either side is noticed). Runs when a nats-server binary is found: $NATS_SERVER_BIN, or
 * $SLUICE_CACHE/bin/nats-server (default ~/.cache/sluice/bin/nats-server, built for the benches).
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import { waitFor } from "../../common/wait.js";
import { loadServerOptions } from "./index.js";

const natsServer =
  process.env["NATS_SERVER_BIN"] ?? join(process.env["SLUICE_CACHE"] ?? join(homedir(), ".cache", "sluice"), "bin", "nats-server");
const available = existsSync(natsServer);

/** `same`: both accept or both reject. Otherwise which side accepts, and why (README.md). */
type Relation = "same" | "only sluice rejects" | "only sluice accepts";

const corpus: Array<[string, Relation]> = [
  ["port: 4222", "same"],
  ["", "same"],
  ["# nothing\n", "same"],
  ["authorization { token: '' }", "same"],
  ['cluster { listen: "]0.0.0.0:6222" }', "same"],
  ['port = 4222; server_name = "n1"', "same"],
  ["port 4222", "same"],
  ["{ port: 4222 }", "same"],
  ["PORT: 4333\nport: $PORT", "same"],
  ["port: $NOT_DEFINED_ANYWHERE", "same"],
  ["max_paylod: 1MB", "same"],
  ["max_payload: abc", "same"],
  ["max_payload: 2MB", "same"],
  ["max_payload: 8MB", "same"],
  ['ping_interval: "2m"', "same"],
  ["ping_interval: 2m", "same"], // a warning in both; -t is pedantic
  ["ping_interval: 120", "same"],
  ["ping_interval: 120s", "same"],
  ['ping_interval: "0s"', "same"],
  ["write_deadline: 10", "same"],
  ['write_deadline: "10s"', "same"],
  ['lame_duck_duration: "10s"', "same"],
  ['lame_duck_duration: "2m"', "same"],
  ["lame_duck_grace_period: 5", "same"],
  ['server_name: "a b"', "same"],
  ["listen: 127.0.0.1:4222", "same"],
  ['listen: "[::1]:4222"', "same"],
  ["listen: 4222", "same"],
  ['http: "localhost:8222"', "same"],
  ["monitor_port: 8222", "same"],
  ["monitor: 8222", "same"],
  ["https: 8443", "only sluice rejects"], // https needs a tls block: checked at -t, nats-server at startup
  ["jetstream: enabled", "same"],
  ["jetstream: true", "same"],
  ["jetstream: sometimes", "same"],
  ["jetstream { store_dir: /tmp/x, max_mem: 1G, max_file: 10G }", "same"],
  ['jetstream { store_dir: /tmp/x, max_mem: "1G" }', "same"],
  ["jetstream { max_mem: -1 }", "same"],
  ["jetstream { sync_interval: always }", "same"],
  ['jetstream { sync_interval: "2m" }', "same"],
  ["jetstream { sync: always }", "same"],
  ["jetstream { sync_interval: 10 }", "same"],
  ["jetstream { sotre_dir: /x }", "same"],
  ["jetstream { max_memory: 1G }", "same"],
  ["jetstream { domain: hub }", "same"],
  ["jetstream { enabled: false }", "same"],
  ["jetstream { store: /tmp/s }", "same"],
  ["store_dir: /tmp/s", "same"],
  ["jetstream { sync: never }", "only sluice accepts"], // Sluice extension
  ["authorization { user: a, password: b }", "same"],
  ["authorization { user: a }", "same"],
  ["authorization { token: t }", "same"],
  ["authorization { user: a, password: b, token: t }", "same"],
  ["authorization { users: [{user: a, password: b}] }", "same"],
  ["authorization { users: [{user: x}] }", "same"],
  ["authorization { user: a, password: b, users: [{user: c, password: d}] }", "same"],
  [
    'authorization { users: [{user: a, password: b, permissions: {publish: "a.>", subscribe: {allow: ["b"], deny: "c"}, allow_responses: true}}] }',
    "same",
  ],
  ['authorization { users: [{user: a, password: b, permissions: {allow_responses: {max: 2, expires: "1m"}}}] }', "same"],
  ["authorization { users: [{user: a, password: b, permission: {pub: x}}] }", "same"],
  ['authorization { users: [{user: a, password: b, permissions: {publish: "a..b"}}] }', "same"],
  ["authorization { users: [{user: a, password: b}] }\nno_auth_user: a", "same"],
  ["authorization { users: [{user: a, password: b}, {user: a, password: c}] }", "same"],
  ["authorization { timeout: 0.5, user: a, password: b }", "same"],
  ["accounts { A: { users: [{user: a, password: a}] }, SYS: {users: [{user: s, password: s}]} }\nsystem_account: SYS", "same"],
  ["accounts { A: { imports: [{stream: {account: Z, subject: x}}] } }", "same"],
  ["accounts { A: {}, B: { imports: [{stream: {account: A, subject: x}, prefix: p}] } }", "same"],
  ['accounts { A: {exports: [{stream: "a.>"}]}, B: { imports: [{stream: {account: A, subject: "a.b"}, prefix: p}] } }', "same"],
  ['accounts { A: {exports: [{service: "s.*", accounts: [B]}]}, B: { imports: [{service: {account: A, subject: "s.x"}, to: y}] } }', "same"],
  ["accounts { A: { exports: [{stream: a.>, response_type: stream}] } }", "same"],
  ["accounts { A: { jetstream: { max_mem: 1G } } }", "same"],
  ['cluster { name: C1, listen: "0.0.0.0:6222", routes: ["nats-route://n2:6222"] }', "same"],
  ['cluster { listen: "0.0.0.0:6222", authorization { user: r, password: p, timeout: 2 } }', "same"],
  ['cluster { port: 6222, cluster_advertise: "a:1" }', "same"],
  ["debug: maybe", "same"],
  ["debug: yes", "same"],
  ["max_connections: lots", "same"],
  ["max_connections: -1", "same"],
  ["max_subs: 10", "same"],
  ["ping_max: 0", "same"],
  ["port: -1", "same"],
  ["port: [1", "same"],
  ["tls { cert_file: /nonexistent.pem, key_file: /nonexistent.key }", "same"],
  ["tls { cert_file: server-cert.pem, key_file: server-key.pem }", "same"],
  ["tls { cert_file: server-cert.pem, key_file: server-cert.pem }", "same"],
  ["tls { cert_file: server-cert.pem, key_file: server-key.pem, handshake_first: auto }", "same"],
  ["tls { cert_file: server-cert.pem, key_file: server-key.pem, verify: true, timeout: 0.5 }", "same"],
  ["include 'missing.conf'", "same"],
  ["include 'inc-ok.conf'", "same"],
  ["foo: 1 2", "same"],
  ["a { b: 1", "same"],
  ["logtime: false\ntrace: true\npid_file: /tmp/x.pid\nclient_advertise: \"a:1\"\nmax_control_line: 8KB", "same"],
  ["X = [\n 1\n 2,\n 3 ]\nport: 1", "same"], // X is an unused variable: unknown field in both
  ['max_payload: "2MB"', "only sluice accepts"], // quoted sizes everywhere
  ["server_name: 123", "only sluice accepts"], // numbers where names are expected
  ["max_payload: 65MB", "only sluice rejects"], // Sluice's 64 MiB cap
  ['lame_duck_duration: "30s"\nlame_duck_grace_period: "40s"', "only sluice rejects"], // startup check made at -t
  ["http_port: 8222\nhttps_port: 8443", "only sluice rejects"], // startup check made at -t
  ["authorization { users: [{user: a, password: b}] }\nno_auth_user: ghost", "only sluice rejects"], // startup check
  ["system_account: NOPE", "only sluice rejects"], // startup check
  ["max_pending: 1MB\nmax_payload: 2MB", "only sluice rejects"], // startup check
  ["port: 70000", "only sluice rejects"], // range checked at -t
  ["cluster { name: C1 }", "only sluice rejects"], // a cluster block must listen
  ["websocket { port: 8080 }", "only sluice rejects"], // not implemented: said so instead of ignored
];

describe.skipIf(!available)(`accept/reject agrees with ${natsServer} -t`, () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-differential-"));
  for (const pem of ["server-cert.pem", "server-key.pem"]) copyFileSync(new URL(`./testdata/${pem}`, import.meta.url), join(dir, pem));
  writeFileSync(join(dir, "inc-ok.conf"), "port: 4222\n");

  it.each(corpus.map(([conf, relation], i) => [i, conf, relation] as const))("#%i %j: %s", (i, conf, relation) => {
    const file = join(dir, `c${i}.conf`);
    writeFileSync(file, conf + "\n");
    const theirs = spawnSync(natsServer, ["-c", file, "-t"], { env: {}, encoding: "utf8", timeout: 20_000 });
    expect(theirs.error).toBeUndefined();
    const natsAccepts = theirs.status === 0;
    const ours = loadServerOptions(["-c", file, "-t"], {});
    const sluiceAccepts = ours.kind === "exit" && ours.code === 0;
    const detail = `nats-server: ${(theirs.stdout + theirs.stderr).trim()}\nsluice: ${ours.kind === "exit" ? ours.output.trim() : "ok"}`;
    if (relation === "same") expect(sluiceAccepts, detail).toBe(natsAccepts);
    else expect([natsAccepts, sluiceAccepts], detail).toEqual(relation === "only sluice accepts" ? [false, true] : [true, false]);
  });
});

/**
 * Flags, with a valid config and -t. On a flag syntax error nats-server prints its usage and
 * exits 0; that counts as rejecting here (Sluice exits 2). `@/` is the test's directory.
 */
const flagCorpus: Array<[string[], Relation]> = [
  [["-p", "4333"], "same"],
  [["--port=4333"], "same"],
  [["-port", "1"], "same"],
  [["-p", "-1"], "same"],
  [["-js", "--js", "-sd", "/x"], "same"],
  [["-DV"], "same"],
  [["-DVV"], "same"],
  [["-VV"], "same"],
  [["-T=false"], "same"],
  [["-T", "false"], "same"],
  [["extra"], "same"],
  [["-a", "127.0.0.1", "-m", "8222", "-P", "/tmp/x.pid", "-l", "/tmp/x.log", "--client_advertise", "a:1", "--ports_file_dir", "/tmp"], "same"],
  [["--user", "u"], "same"],
  [["--tls", "--tlscert", "@/server-cert.pem", "--tlskey", "@/server-key.pem"], "same"],
  [["--tls", "--tlscert", "@/server-cert.pem", "--tlskey", "@/server-cert.pem"], "only sluice rejects"], // PEM checked at -t
  [["--cluster", "nats://0.0.0.0:-1", "--routes", "nats-route://a:1", "--cluster_name", "C"], "same"],
  [["-sl", "reload=99999999"], "same"], // no such process
  [["-p", "abc"], "same"],
  [["-x"], "same"],
  [["--bogus=1"], "same"],
  [["--tls"], "only sluice rejects"], // nats-server fails only at startup
  [["--routes", "nats-route://a:1"], "only sluice rejects"],
  [["--cluster_name", "C"], "only sluice rejects"],
  [["--user", "u", "--pass", "p", "--auth", "t"], "only sluice rejects"],
];

describe.skipIf(!available)(`flags agree with ${natsServer}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-differential-flags-"));
  for (const pem of ["server-cert.pem", "server-key.pem"]) copyFileSync(new URL(`./testdata/${pem}`, import.meta.url), join(dir, pem));
  writeFileSync(join(dir, "ok.conf"), "port: 4222\n");

  it.each(flagCorpus)("%j: %s", (flags, relation) => {
    const argv = ["-c", join(dir, "ok.conf"), "-t", ...flags.map((f) => f.replace("@/", dir + "/"))];
    const theirs = spawnSync(natsServer, argv, { env: {}, encoding: "utf8", timeout: 20_000 });
    expect(theirs.error).toBeUndefined();
    const natsAccepts = theirs.status === 0 && !(theirs.stdout + theirs.stderr).includes("Usage:");
    const ours = loadServerOptions(argv, {});
    const sluiceAccepts = ours.kind === "exit" && ours.code === 0;
    const detail = `nats-server: ${(theirs.stdout + theirs.stderr).trim().slice(0, 300)}\nsluice: ${ours.kind === "exit" ? ours.output.trim() : "ok"}`;
    if (relation === "same") expect(sluiceAccepts, detail).toBe(natsAccepts);
    else expect([natsAccepts, sluiceAccepts], detail).toEqual(relation === "only sluice accepts" ? [false, true] : [true, false]);
  });
});

/**
 * Random configs built from known keys in every syntax style, half of them with one character
 * inserted or deleted: both must accept or reject alike. Allowed: nats-server rejecting what we
 * read leniently (a type it will not convert, a malformed value we take as a string, a stray
 * top-level brace), and us rejecting malformed route URLs or names it only checks at startup, or
 * `key: # text`, which it reads as the value "# text" and we as a comment.
 */
describe.skipIf(!available)("random syntax agrees with nats-server", () => {
  const seps = [": ", " = ", " ", ":", "=", " : ", "\t", "\n: "];
  const terms = ["\n", ";\n", ",\n", "; ", ", ", "\n\n", " # c\n", " // c\n", ";"];
  const values: Array<[string, string[]]> = [
    ["port", ["4222", "-1", '"4222"', "'4222'"]],
    ["server_name", ["n1", '"n1"', "'n1'", "n-1.x", '"a\\tb"']],
    ["debug", ["true", "false", "yes", "no", "on", "off", '"true"', "TRUE"]],
    ["max_payload", ["1MB", "1mb", "1048576", "512KB", "1M", "1k", "2Mi", "1MiB", "1kib"]],
    ["ping_interval", ['"2m"', "'30s'", '"1h2m"', '"500ms"']],
    ["listen", ["127.0.0.1:4222", '"127.0.0.1:4222"', "0.0.0.0:-1", '":4222"']],
    ["jetstream", ["enabled", "{ store_dir: /tmp/x }", "{store_dir=/tmp/x;max_mem=1G}", "{\n store_dir: '/tmp/x'\n}", "{}", "\n{ max_file: 1G }"]],
    ["authorization", ["{ user: a, password: b }", "{ users: [ {user: a, password: b} ] }", "{ users = [\n {user: a, password: b}\n {user: c, password: d}\n] }", "{ token: 't' }"]],
    ["cluster", ['{ listen: "0.0.0.0:6222", routes: [nats-route://a:1, nats-route://b:2] }', "{ port: 6222, routes = [\n  nats-route://a:1\n] }"]],
    ["max_connections", ["100", "1k", "1K"]],
  ];
  const junk = [..."{}[]:=;,#/\\\"'$ \nx1.-()"];

  it("300 generated configs", () => {
    const prng = new Prng(4222);
    const pick = <T>(items: readonly T[]): T => prng.pick(items);
    const dir = mkdtempSync(join(tmpdir(), "sluice-random-differential-"));
    const file = join(dir, "r.conf");
    const mismatches: string[] = [];
    for (let i = 0; i < 300; i++) {
      let text = "";
      const entries = 1 + prng.int(4);
      for (let j = 0; j < entries; j++) {
        const [key, choices] = pick(values);
        text += (prng.int(5) === 0 ? "  " : "") + key + pick(seps) + pick(choices) + pick(terms);
      }
      if (prng.int(2) === 0) {
        const at = prng.int(text.length);
        text = prng.int(2) === 0 ? text.slice(0, at) + pick(junk) + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      }
      writeFileSync(file, text);
      const theirs = spawnSync(natsServer, ["-c", file, "-t"], { env: {}, encoding: "utf8", timeout: 20_000 });
      const said = (theirs.stdout + theirs.stderr).trim();
      const ours = loadServerOptions(["-c", file, "-t"], {});
      const oursSaid = ours.kind === "exit" ? ours.output.trim() : "";
      const natsAccepts = theirs.status === 0;
      const sluiceAccepts = ours.kind === "exit" && ours.code === 0;
      if (natsAccepts === sluiceAccepts) continue;
      const lenient = !natsAccepts && /interface conversion|Parse error|unknown field "\}/.test(said);
      // `key: #x` is the value "#x" to nats-server; to us '#' after a separator starts a comment.
      const stricter = natsAccepts && (/route URL|server name cannot contain spaces/.test(oursSaid) || (/has no value/.test(oursSaid) && /[:=]\s*(#|\/\/)/.test(text)));
      if (!lenient && !stricter) mismatches.push(`${JSON.stringify(text)}\n  nats-server: ${said}\n  sluice: ${oursSaid}`);
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });
});

/** nats-server's parsed values, read back from its /varz, must equal ours. */
describe.skipIf(!available)("values agree with nats-server's /varz", () => {
  const conf = [
    "port: -1",
    "http_port: -1",
    "max_payload: 2M",
    "max_pending: 64MB",
    "max_control_line: 8KB",
    "max_connections: 1k",
    'ping_interval: "45s"',
    'write_deadline: "3s"',
    "ping_max: 0",
    "STORE: js",
    'jetstream { store_dir: $STORE, max_mem: 1G, max_file: "2G" }',
  ].join("\n");

  it("sizes, durations, defaults and the JetStream store path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-varz-"));
    const file = join(dir, "vals.conf");
    writeFileSync(file, conf + "\n");
    const child = spawn(natsServer, ["-c", file, "--ports_file_dir", dir], { cwd: dir, env: {}, stdio: "ignore" });
    try {
      const ports = await waitFor("nats-server ports file", () => {
        const name = readdirSync(dir).find((f) => f.endsWith(".ports"));
        return name === undefined ? undefined : (JSON.parse(readFileSync(join(dir, name), "utf8")) as { monitoring?: string[] });
      }, { timeout_ms: 20_000 });
      const monitor = (ports.monitoring ?? []).find((u) => u.includes("127.0.0.1"));
      expect(monitor).toBeDefined();
      const varz = (await (await fetch(`${monitor}/varz`)).json()) as Record<string, unknown> & {
        jetstream: { config: { max_memory: number; max_storage: number; store_dir: string } };
      };
      const ours = loadServerOptions(["-c", file], {});
      if (ours.kind !== "ok") throw new Error(ours.output);
      const o = ours.options;
      const ns = 1e6;
      expect({
        max_payload: o.max_payload_bytes,
        max_pending: o.max_pending_bytes,
        max_control_line: o.max_control_line_bytes,
        max_connections: o.max_connections,
        ping_interval: o.ping_interval_ms * ns,
        write_deadline: o.write_deadline_ms * ns,
        ping_max: o.ping_max,
      }).toEqual({
        max_payload: varz["max_payload"],
        max_pending: varz["max_pending"],
        max_control_line: varz["max_control_line"],
        max_connections: varz["max_connections"],
        ping_interval: varz["ping_interval"],
        write_deadline: varz["write_deadline"],
        ping_max: varz["ping_max"],
      });
      expect(o.jetstream.max_memory_store_bytes).toBe(varz.jetstream.config.max_memory);
      expect(o.jetstream.max_file_store_bytes).toBe(varz.jetstream.config.max_storage);
      // A relative store_dir stays relative (to the working directory) in both; data in <dir>/jetstream.
      expect(join(o.jetstream.store_dir, "jetstream")).toBe(varz.jetstream.config.store_dir);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

if (!available) {
  describe("nats-server differential", () => {
    it.skip(`skipped: no nats-server binary at ${natsServer} (set NATS_SERVER_BIN)`, () => undefined);
  });
}
