/**
 * Protocol-level behaviour of a real broker process over raw TCP: exact replies, exact -ERR
 * texts, when the connection closes, and bad input (garbage, oversize lines and payloads,
 * half-open peers, floods, slow consumers).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "../../../common/prng.js";
import { waitFor } from "../../../common/wait.js";
import { startBroker, type BrokerProcess } from "../broker-process.js";
import { RawClient } from "../raw-client.js";

async function varz(b: BrokerProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${b.httpUrl}/varz`)).json()) as Record<string, number>;
}

describe("wire protocol (defaults)", () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("sends INFO with a space before CRLF and nats-server's fields", async () => {
    const c = await RawClient.open(broker.port);
    expect(c.text).toMatch(/^INFO \{.*\} \r\n$/);
    const info = c.info();
    expect(info).toMatchObject({ proto: 1, headers: true, max_payload: 1048576, port: broker.port, host: "127.0.0.1" });
    expect(String(info["server_id"])).toMatch(/^N[A-Z2-7]{55}$/);
    expect(info["auth_required"]).toBeUndefined();
    c.destroy();
  });

  it("answers +OK in verbose mode and routes MSG/HMSG exactly", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":true,"headers":true}\r\n');
    await c.waitFor("+OK\r\n");
    c.send("SUB foo.* 9\r\nPUB foo.bar reply.x 5\r\nhello\r\nHPUB foo.h 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n");
    await c.waitFor("PONG\r\n");
    expect(c.text).toContain("MSG foo.bar 9 reply.x 5\r\nhello\r\n");
    expect(c.text).toContain("HMSG foo.h 9 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    expect((c.text.match(/\+OK\r\n/g) ?? []).length).toBe(4); // CONNECT, SUB, PUB, HPUB
    c.destroy();
  });

  it("strips headers for subscribers that did not negotiate them", async () => {
    const plain = await RawClient.open(broker.port);
    plain.send('CONNECT {"verbose":false}\r\nSUB strip 1\r\nPING\r\n');
    await plain.waitFor("PONG\r\n");
    const pub = await RawClient.open(broker.port);
    pub.send('CONNECT {"verbose":false,"headers":true}\r\nHPUB strip 12 15\r\nNATS/1.0\r\n\r\nabc\r\nPING\r\n');
    await pub.waitFor("PONG\r\n");
    await plain.waitFor("MSG strip 1 3\r\nabc\r\n");
    plain.destroy();
    pub.destroy();
  });

  it("sends the exact no-responders status", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.x.* 1\r\nPUB nobody _INBOX.x.1 0\r\n\r\nPING\r\n');
    await c.waitFor("PONG\r\n");
    expect(c.text).toContain("HMSG _INBOX.x.1 1 38 38\r\nNATS/1.0 503\r\nNats-Subject: nobody\r\n\r\n\r\n");
    c.destroy();
  });

  const fatal: Array<[string, string, string | undefined]> = [
    ["unknown op", "FOO\r\n", "Unknown Protocol Operation"],
    ["garbage bytes", "\x00\xff\x13garbage", "Unknown Protocol Operation"],
    ["payload without CRLF", "PUB a 1\r\nxyz\r\n", "Unknown Protocol Operation"],
    ["oversize control line", `SUB ${"a".repeat(5000)} 1\r\n`, "maximum control line exceeded"],
    ["oversize control line, no newline", `PUB ${"a".repeat(5000)}`, "maximum control line exceeded"],
    ["oversize payload", "PUB a 1048577\r\n", "Maximum Payload Violation"],
    ["bad protocol version", 'CONNECT {"protocol":2}\r\n', "invalid client protocol"],
    ["no_responders without headers", 'CONNECT {"no_responders":true}\r\n', "no responders requires headers support"],
    ["bad PUB arguments", "PUB a\r\n", undefined],
    ["HPUB without headers negotiated", 'CONNECT {"verbose":false}\r\nHPUB a 12 12\r\nNATS/1.0\r\n\r\n\r\n', undefined],
    ["unparseable CONNECT", "CONNECT {nope\r\n", undefined],
  ];
  it.each(fatal)("closes on %s", async (_name, input, err) => {
    const c = await RawClient.open(broker.port);
    c.send(input);
    await c.waitClosed();
    if (err === undefined) expect(c.text).not.toContain("-ERR");
    else expect(c.text).toContain(`-ERR '${err}'\r\n`);
  });

  it("refuses reserved reply subjects without closing", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\nSUB x 1\r\nPUB x $JS.ACK.s.c.1.1.1.0.0 0\r\n\r\nPUB x ok.reply 0\r\n\r\n');
    await c.roundTrip();
    expect(c.text).toContain(`-ERR 'Permissions Violation for Publish with Reply of "$JS.ACK.s.c.1.1.1.0.0"'\r\n`);
    expect(c.text).toContain("MSG x 1 ok.reply 0\r\n");
    expect(c.text).not.toContain("MSG x 1 $JS.ACK");
    c.destroy();
  });

  it("keeps the connection after Invalid Subject and pedantic publish errors", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false,"pedantic":true}\r\nSUB foo..bar 1\r\nPUB foo.* 0\r\n\r\n');
    await c.roundTrip();
    expect(c.text).toContain("-ERR 'Invalid Subject'\r\n");
    expect(c.text).toContain("-ERR 'Invalid Publish Subject'\r\n");
    c.destroy();
  });

  it("accepts any chunking, including one byte at a time", async () => {
    const c = await RawClient.open(broker.port);
    const wire = 'CONNECT {"verbose":false}\r\nSUB s 1\r\nPUB s 3\r\nabc\r\nPING\r\n';
    for (const ch of wire) c.send(ch);
    await c.waitFor("PONG\r\n");
    expect(c.text).toContain("MSG s 1 3\r\nabc\r\n");
    c.destroy();
  });

  it("never falls over on random bytes (seeded property run against the process)", async () => {
    const prng = new Prng(20261125);
    for (let run = 0; run < 40; run++) {
      const c = await RawClient.open(broker.port);
      // Half the runs start with a valid CONNECT so the garbage reaches deeper parser states.
      if (run % 2 === 0) c.send('CONNECT {"verbose":false}\r\nSUB > 1\r\n');
      const ops = ["PUB a 5\r\n", "HPUB a 2 5\r\n", "SUB ", "UNSUB ", "PING\r\n", "\r\n", "CONNECT "];
      let wire = "";
      for (let i = 0; i < 20; i++) {
        wire += prng.chance(0.3) ? prng.pick(ops) : String.fromCharCode(...Array.from({ length: prng.int(40) }, () => prng.int(256)));
      }
      c.send(Buffer.from(wire, "latin1"));
      c.socket.end();
      await c.waitClosed();
    }
    const ok = await RawClient.open(broker.port);
    ok.send('CONNECT {"verbose":false}\r\n');
    await ok.roundTrip();
    ok.destroy();
  });

  it("survives half-open connections and keeps serving others", async () => {
    const halfOpen = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(broker.port)));
    for (const h of halfOpen) h.send("PUB x 100\r\nonly-part-of-the-payload");
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\n');
    await c.roundTrip();
    for (const h of halfOpen) h.socket.end(); // FIN without finishing the op
    await Promise.all(halfOpen.map((h) => h.waitClosed()));
    await c.roundTrip();
    c.destroy();
  });

  it("keeps serving other clients while one floods", async () => {
    const flooder = await connect({ servers: broker.url });
    const nc = await connect({ servers: broker.url });
    const svc = nc.subscribe("flood.svc", { callback: (_e, m) => void m.respond(m.data) });
    await nc.flush();
    const payload = new Uint8Array(1024);
    let stop = false;
    const flood = (async () => {
      // Bounded: at most 200k messages (~200 MB) or until the requests below are done.
      for (let i = 0; i < 200_000 && !stop; i++) {
        flooder.publish("flood.sink", payload);
        if (i % 1000 === 0) await flooder.flush();
      }
    })();
    for (let i = 0; i < 20; i++) {
      const r = await nc.request("flood.svc", new TextEncoder().encode(String(i)), { timeout: 10_000 });
      expect(new TextDecoder().decode(r.data)).toBe(String(i));
    }
    stop = true;
    await flood;
    svc.unsubscribe();
    await flooder.close();
    await nc.close();
  });
});

describe("wire protocol (limits)", () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    const conf = join(mkdtempSync(join(tmpdir(), "sluice-limits-")), "limits.conf");
    writeFileSync(
      conf,
      ["max_payload: 512", "max_control_line: 256", "max_pending: 65536", 'write_deadline: "2s"', "max_connections: 20", "max_subscriptions: 2"].join("\n"),
    );
    broker = await startBroker(["-c", conf]);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("advertises and enforces max_payload and max_control_line", async () => {
    const c = await RawClient.open(broker.port);
    expect(c.info()["max_payload"]).toBe(512);
    c.send("PUB a 513\r\n");
    await c.waitClosed();
    expect(c.text).toContain("-ERR 'Maximum Payload Violation'");
    const d = await RawClient.open(broker.port);
    d.send(`SUB ${"x".repeat(300)} 1\r\n`);
    await d.waitClosed();
    expect(d.text).toContain("-ERR 'maximum control line exceeded'");
  });

  it("cuts a slow consumer without -ERR and counts it", async () => {
    const slow = await RawClient.open(broker.port);
    slow.send('CONNECT {"verbose":false}\r\nSUB slow 1\r\nPING\r\n');
    await slow.waitFor("PONG\r\n");
    slow.socket.pause(); // stop reading: the broker's pending bytes for it grow
    const pub = await RawClient.open(broker.port);
    pub.send('CONNECT {"verbose":false}\r\n');
    const chunk = `PUB slow 500\r\n${"z".repeat(500)}\r\n`.repeat(100);
    const before = (await varz(broker))["slow_consumers"] ?? 0;
    // Bounded: at most 400 × 50 KB; the broker cuts the consumer long before.
    for (let i = 0; i < 400 && !slow.closed; i++) {
      pub.send(chunk);
      await pub.roundTrip();
      if (((await varz(broker))["slow_consumers"] ?? 0) > before) break;
    }
    await waitFor("slow consumer counted", async () => ((await varz(broker))["slow_consumers"] ?? 0) > before);
    slow.socket.resume();
    await slow.waitClosed();
    expect(slow.text).not.toContain("-ERR");
    const closed = (await (await fetch(`${broker.httpUrl}/connz?state=closed`)).json()) as { connections: Array<{ reason: string }> };
    expect(closed.connections.some((c) => c.reason.startsWith("Slow Consumer"))).toBe(true);
    pub.destroy();
  });

  it("refuses subscriptions over max_subscriptions without closing", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\n');
    await c.roundTrip();
    expect(c.text).toContain("-ERR 'maximum subscriptions exceeded'\r\n");
    c.send("PUB b 1\r\nx\r\nPUB c 1\r\ny\r\n");
    await c.roundTrip();
    expect(c.text).toContain("MSG b 2 1\r\nx\r\n");
    expect(c.text).not.toContain("MSG c");
    c.destroy();
  });

  it("refuses connections over max_connections with nats-server's error", async () => {
    const open: RawClient[] = [];
    for (let i = 0; i < 20; i++) open.push(await RawClient.open(broker.port));
    const extra = await RawClient.open(broker.port);
    await extra.waitClosed();
    expect(extra.text).toContain("-ERR 'maximum connections exceeded'\r\n");
    for (const c of open) c.destroy();
  });
});

describe("wire protocol (pings)", () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    const conf = join(mkdtempSync(join(tmpdir(), "sluice-ping-")), "ping.conf");
    writeFileSync(conf, 'ping_interval: "300ms"\nping_max: 1\n');
    broker = await startBroker(["-c", conf]);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("closes stale connections that never answer PING", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\n');
    await c.waitFor("PING\r\n");
    await c.waitClosed();
    expect(c.text).toContain("-ERR 'Stale Connection'\r\n");
    expect((await varz(broker))["stale_connections"]).toBeGreaterThan(0);
  });

  it("keeps connections that answer PING", async () => {
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\n');
    let pings = 0;
    c.socket.on("data", (b: Buffer) => {
      const n = (b.toString().match(/PING\r\n/g) ?? []).length;
      for (let i = 0; i < n; i++) c.send("PONG\r\n");
      pings += n;
    });
    await waitFor("three server PINGs", () => pings >= 3, { timeout_ms: 10_000 });
    expect(c.closed).toBe(false);
    c.destroy();
  });

});

describe("monitoring endpoints", () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("serves varz, connz paging, subsz, routez, healthz, jsz and metrics", async () => {
    // Internal services (the $SYS responder) hold subscriptions of their own.
    const baseSubs = (await varz(broker))["subscriptions"]!;
    const clients = await Promise.all(Array.from({ length: 3 }, () => RawClient.open(broker.port)));
    for (const [i, c] of clients.entries()) {
      c.send(`CONNECT {"verbose":false,"name":"c${i}"}\r\nSUB mon.${i} ${i}\r\nPUB mon.${i} 2\r\nhi\r\n`);
      await c.roundTrip();
    }
    const get = async (path: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${broker.httpUrl}${path}`);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      return (await res.json()) as Record<string, unknown>;
    };
    const v = await get("/varz");
    expect(v).toMatchObject({ connections: 3, subscriptions: baseSubs + 3, port: broker.port, http_port: broker.httpPort, max_payload: 1048576 });
    expect(v["in_msgs"]).toBe(3);
    expect(v["out_msgs"]).toBe(3);
    expect(v["uptime"]).toMatch(/^\d+s$|m|h|d/);
    const page = await get("/connz?limit=2&offset=1&subs=1");
    expect(page).toMatchObject({ num_connections: 2, total: 3, offset: 1, limit: 2 });
    const conns = page["connections"] as Array<{ name: string; subscriptions_list: string[] }>;
    expect(conns.map((c) => c.name)).toEqual(["c1", "c2"]);
    expect(conns[0]!.subscriptions_list).toEqual(["mon.1"]);
    const s = await get("/subsz?subs=1");
    expect(s["num_subscriptions"]).toBe(baseSubs + 3);
    expect(await get("/routez")).toMatchObject({ num_routes: 0, routes: [] });
    expect(await get("/healthz")).toEqual({ status: "ok" });
    expect(await get("/jsz")).toMatchObject({ disabled: true });
    expect((await fetch(`${broker.httpUrl}/connz?sort=bogus`)).status).toBe(400);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^sluice_broker_connections 3$/m);
    expect(metrics).toMatch(/^sluice_broker_in_msgs_total 3$/m);
    expect(metrics).toMatch(new RegExp(`^sluice_broker_subscriptions ${baseSubs + 3}$`, "m"));
    for (const c of clients) c.destroy();
  });
});
