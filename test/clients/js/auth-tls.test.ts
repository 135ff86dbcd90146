/**
 * nats.js against a broker with authentication, permissions and TLS (certificates made with
 * openssl into a temp dir).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../common/wait.js";
import { startBroker, type BrokerProcess } from "../broker-process.js";
import { RawClient } from "../raw-client.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

function confFile(prefix: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), `sluice-${prefix}-`)), "broker.conf");
  writeFileSync(path, text);
  return path;
}

describe("nats.js authentication and permissions", () => {
  let broker: BrokerProcess;
  const hash = bcrypt.hashSync("bob-secret", 6);

  beforeAll(async () => {
    const conf = confFile(
      "auth",
      `
authorization {
  timeout: 1
  users: [
    { user: alice, password: alice-pw,
      permissions: {
        publish: { allow: ["orders.>", "_INBOX.>"], deny: ["orders.secret"] }
        subscribe: { allow: ["orders.>", "_INBOX.>", "jobs.* workers"], deny: ["orders.private.>"] }
      } }
    { user: bob, password: "${hash}" }
    { user: svc, password: svc-pw, permissions: { subscribe: ["rpc.>"], allow_responses: true } }
    { user: guest, password: guest-pw, permissions: { publish: ["public.>"], subscribe: ["public.>"] } }
  ]
}
no_auth_user: guest
`,
    );
    broker = await startBroker(["-c", conf]);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("advertises auth_required", async () => {
    const c = await RawClient.open(broker.port);
    expect(c.info()["auth_required"]).toBe(true);
    c.destroy();
  });

  it("accepts plain and bcrypt passwords", async () => {
    const a = await connect({ servers: broker.url, user: "alice", pass: "alice-pw" });
    const b = await connect({ servers: broker.url, user: "bob", pass: "bob-secret" });
    await a.flush();
    await b.flush();
    await a.close();
    await b.close();
  });

  it("rejects a bad password with Authorization Violation", async () => {
    await expect(connect({ servers: broker.url, user: "bob", pass: "wrong", maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(
      /authorization violation/i,
    );
  });

  it("closes a raw client with a bad password after -ERR", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false,"user":"alice","pass":"nope"}\r\nPING\r\n');
    await c.waitClosed();
    expect(c.text).toContain("-ERR 'Authorization Violation'\r\n");
    expect(c.text).not.toContain("PONG");
  });

  it("uses no_auth_user for clients without credentials", async () => {
    const g = await connect({ servers: broker.url });
    const sub = g.subscribe("public.news", { max: 1 });
    await g.flush();
    g.publish("public.news", enc.encode("hi"));
    for await (const m of sub) expect(dec.decode(m.data)).toBe("hi");
    await g.close();
  });

  it("answers a denied publish with a permissions error and keeps the connection", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false,"user":"alice","pass":"alice-pw"}\r\nPUB orders.secret 1\r\nx\r\nPUB other 1\r\nx\r\n');
    await c.roundTrip();
    expect(c.text).toContain(`-ERR 'Permissions Violation for Publish to "orders.secret"'\r\n`);
    expect(c.text).toContain(`-ERR 'Permissions Violation for Publish to "other"'\r\n`);
    c.send("SUB nope 1\r\nSUB jobs.a others 2\r\n");
    await c.roundTrip();
    expect(c.text).toContain(`-ERR 'Permissions Violation for Subscription to "nope"'\r\n`);
    expect(c.text).toContain(`-ERR 'Permissions Violation for Subscription to "jobs.a" using queue "others"'\r\n`);
    expect(c.closed).toBe(false);
    c.destroy();
  });

  it("reports permission violations to nats.js as async errors without disconnecting", async () => {
    const a = await connect({ servers: broker.url, user: "alice", pass: "alice-pw" });
    const errors: string[] = [];
    void (async () => {
      for await (const s of a.status()) if (s.type === "error") errors.push(String(s.error));
    })();
    a.publish("orders.secret", enc.encode("x"));
    await a.flush();
    await waitFor("permission error status", () => errors.some((e) => /permissions violation/i.test(e)));
    // Still connected and working.
    const sub = a.subscribe("orders.new", { max: 1 });
    await a.flush();
    a.publish("orders.new", enc.encode("ok"));
    for await (const m of sub) expect(dec.decode(m.data)).toBe("ok");
    expect(a.isClosed()).toBe(false);
    await a.close();
  });

  it("filters deliveries that a wildcard sub overlaps with a deny", async () => {
    const a = await connect({ servers: broker.url, user: "alice", pass: "alice-pw" });
    const got: string[] = [];
    a.subscribe("orders.>", { callback: (_e, m) => void got.push(m.subject) });
    await a.flush();
    const b = await connect({ servers: broker.url, user: "bob", pass: "bob-secret" });
    b.publish("orders.private.x");
    b.publish("orders.public");
    await b.flush();
    await waitFor("public order", () => got.includes("orders.public"));
    await a.flush();
    expect(got).toEqual(["orders.public"]);
    await a.close();
    await b.close();
  });

  it("lets allow_responses users reply to requests only", async () => {
    const svc = await connect({ servers: broker.url, user: "svc", pass: "svc-pw" });
    svc.subscribe("rpc.add", { callback: (_e, m) => void m.respond(enc.encode("42")) });
    await svc.flush();
    const bob = await connect({ servers: broker.url, user: "bob", pass: "bob-secret" });
    const r = await bob.request("rpc.add", enc.encode("40+2"), { timeout: 5000 });
    expect(dec.decode(r.data)).toBe("42");
    const raw = await RawClient.open(broker.port);
    raw.send('CONNECT {"verbose":false,"user":"svc","pass":"svc-pw"}\r\nPUB elsewhere 0\r\n\r\n');
    await raw.roundTrip();
    expect(raw.text).toContain(`-ERR 'Permissions Violation for Publish to "elsewhere"'`);
    raw.destroy();
    await svc.close();
    await bob.close();
  });

  it("closes clients that never authenticate", async () => {
    const c = await RawClient.open(broker.port);
    await c.waitClosed();
    expect(c.text).toContain("-ERR 'Authentication Timeout'\r\n");
  });
});

describe("nats.js token auth", () => {
  it("accepts the token and rejects others", async () => {
    const broker = await startBroker(["--auth", "s3cr3t"]);
    try {
      const nc: NatsConnection = await connect({ servers: broker.url, token: "s3cr3t" });
      await nc.flush();
      await nc.close();
      await expect(connect({ servers: broker.url, token: "bad", reconnect: false })).rejects.toThrow(/authorization violation/i);
    } finally {
      await broker.stop();
    }
  });
});

describe("nats.js over TLS", () => {
  let dir: string;
  let ca: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-tls-"));
    const ssl = (...args: string[]): void => {
      execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    };
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sluice-test-ca", "-keyout", "ca.key", "-out", "ca.pem");
    writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem");
    writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client", "-keyout", "client.key", "-out", "client.csr");
    ssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "client.ext", "-out", "client.pem");
    ca = readFileSync(join(dir, "ca.pem"), "utf8");
  });

  it("serves TLS clients and refuses plain ones", async () => {
    const broker = await startBroker(["--tls", "--tlscert", join(dir, "server.pem"), "--tlskey", join(dir, "server.key")]);
    try {
      expect(broker.url.startsWith("tls://")).toBe(true);
      const nc = await connect({ servers: `127.0.0.1:${broker.port}`, tls: { ca } });
      const sub = nc.subscribe("secure", { max: 1 });
      await nc.flush();
      nc.publish("secure", enc.encode("over tls"));
      for await (const m of sub) expect(dec.decode(m.data)).toBe("over tls");
      expect(nc.info?.tls_required).toBe(true);
      await nc.close();
      const plain = await RawClient.open(broker.port);
      plain.send('CONNECT {"verbose":false}\r\nPING\r\n');
      await plain.waitClosed(15_000);
      expect(plain.text).not.toContain("PONG");
    } finally {
      await broker.stop();
    }
  });

  it("verifies client certificates", async () => {
    const broker = await startBroker([
      "--tlsverify",
      "--tlscert",
      join(dir, "server.pem"),
      "--tlskey",
      join(dir, "server.key"),
      "--tlscacert",
      join(dir, "ca.pem"),
    ]);
    try {
      const cert = readFileSync(join(dir, "client.pem"), "utf8");
      const key = readFileSync(join(dir, "client.key"), "utf8");
      const nc = await connect({ servers: `127.0.0.1:${broker.port}`, tls: { ca, cert, key } });
      await nc.flush();
      await nc.close();
      await expect(connect({ servers: `127.0.0.1:${broker.port}`, tls: { ca }, reconnect: false, timeout: 5000 })).rejects.toThrow();
    } finally {
      await broker.stop();
    }
  });

  it("does the TLS handshake first when handshake_first is set", async () => {
    const conf = confFile(
      "tlsfirst",
      `tls { cert_file: "${join(dir, "server.pem")}", key_file: "${join(dir, "server.key")}", handshake_first: true }\n`,
    );
    const broker = await startBroker(["-c", conf]);
    try {
      const nc = await connect({ servers: `127.0.0.1:${broker.port}`, tls: { ca, handshakeFirst: true } });
      await nc.flush();
      await nc.close();
    } finally {
      await broker.stop();
    }
  });
});
