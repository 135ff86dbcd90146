/**
 * nats.js v3 (the official JavaScript client, @nats-io/transport-node) against a real
 * `sluice broker` process: core messaging.
 */
import { connect, headers, type NatsConnection, type Msg, type Subscription } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../common/wait.js";
import { startBroker, type BrokerProcess } from "../broker-process.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Collect n messages from a subscription (bounded by the test timeout). */
async function take(sub: Subscription, n: number): Promise<Msg[]> {
  const out: Msg[] = [];
  if (n === 0) return out;
  for await (const m of sub) {
    out.push(m);
    if (out.length >= n) break;
  }
  return out;
}

describe("nats.js core messaging", () => {
  let broker: BrokerProcess;
  let nc: NatsConnection;

  beforeAll(async () => {
    broker = await startBroker();
    nc = await connect({ servers: broker.url, name: "core-test" });
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.stop();
  });

  it("reports a 2.10 server with headers in INFO", () => {
    const info = nc.info!;
    expect(info.version).toMatch(/^2\.10\.\d+$/);
    expect(info.proto).toBe(1);
    expect(info.headers).toBe(true);
    expect(info.max_payload).toBe(1024 * 1024);
    expect(info.client_id).toBeGreaterThan(0);
  });

  it("publishes and subscribes", async () => {
    const sub = nc.subscribe("greet.one");
    const got = take(sub, 3);
    await nc.flush();
    for (const s of ["a", "b", "c"]) nc.publish("greet.one", enc.encode(s));
    expect((await got).map((m) => dec.decode(m.data))).toEqual(["a", "b", "c"]);
  });

  it("matches * and > wildcards", async () => {
    const star = nc.subscribe("w.*.x");
    const full = nc.subscribe("w.>");
    const gotStar = take(star, 1);
    const gotFull = take(full, 3);
    await nc.flush();
    nc.publish("w.a.x");
    nc.publish("w.a.y");
    nc.publish("w.a.b.c");
    expect((await gotStar).map((m) => m.subject)).toEqual(["w.a.x"]);
    expect((await gotFull).map((m) => m.subject)).toEqual(["w.a.x", "w.a.y", "w.a.b.c"]);
    star.unsubscribe();
    full.unsubscribe();
  });

  it("gives each queue-group message to exactly one member", async () => {
    const total = 200;
    const counts = [0, 0, 0];
    const subs = counts.map((_, i) =>
      nc.subscribe("jobs", {
        queue: "workers",
        callback: () => {
          counts[i]!++;
        },
      }),
    );
    const plain = nc.subscribe("jobs", { max: total });
    const plainDone = take(plain, total);
    await nc.flush();
    for (let i = 0; i < total; i++) nc.publish("jobs", enc.encode(String(i)));
    await plainDone;
    await nc.flush();
    await waitFor("all queue deliveries", () => counts.reduce((a, b) => a + b, 0) === total);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    for (const c of counts) expect(c).toBeGreaterThan(0); // random spread, P(empty member) ~ 1e-35
    for (const s of subs) s.unsubscribe();
  });

  it("does request/reply", async () => {
    const svc = nc.subscribe("svc.echo", { callback: (_e, m) => void m.respond(enc.encode(`echo:${dec.decode(m.data)}`)) });
    const reply = await nc.request("svc.echo", enc.encode("ping"), { timeout: 5000 });
    expect(dec.decode(reply.data)).toBe("echo:ping");
    svc.unsubscribe();
  });

  it("answers a request with no subscribers as no responders (503)", async () => {
    await expect(nc.request("nobody.home", enc.encode("?"), { timeout: 5000 })).rejects.toThrow(/no responders/i);
  });

  it("carries headers both ways", async () => {
    const sub = nc.subscribe("hdr.test");
    const got = take(sub, 1);
    await nc.flush();
    const h = headers();
    h.set("X-Trace", "abc");
    h.append("X-Multi", "1");
    h.append("X-Multi", "2");
    nc.publish("hdr.test", enc.encode("body"), { headers: h });
    const [m] = await got;
    expect(m!.headers?.get("X-Trace")).toBe("abc");
    expect(m!.headers?.values("X-Multi")).toEqual(["1", "2"]);
    expect(dec.decode(m!.data)).toBe("body");
  });

  it("honours echo:false", async () => {
    const quiet = await connect({ servers: broker.url, noEcho: true });
    const other = nc.subscribe("echo.test");
    const otherGot = take(other, 1);
    let selfCount = 0;
    quiet.subscribe("echo.test", { callback: () => void selfCount++ });
    await quiet.flush();
    await nc.flush();
    quiet.publish("echo.test", enc.encode("x"));
    await quiet.flush();
    await otherGot;
    // Round trip through the broker after the publish: anything it was going to deliver is delivered.
    await quiet.flush();
    expect(selfCount).toBe(0);
    await quiet.close();
  });

  it("auto-unsubscribes after max messages", async () => {
    const sub = nc.subscribe("max.test", { max: 2 });
    const got = take(sub, 2);
    await nc.flush();
    for (let i = 0; i < 5; i++) nc.publish("max.test", enc.encode(String(i)));
    expect((await got).map((m) => dec.decode(m.data))).toEqual(["0", "1"]);
  });

  it("delivers a 1 MiB payload and rejects a larger one", async () => {
    const big = new Uint8Array(1024 * 1024).fill(7);
    const sub = nc.subscribe("big.ok");
    const got = take(sub, 1);
    await nc.flush();
    nc.publish("big.ok", big);
    expect((await got)[0]!.data.length).toBe(big.length);
    expect(() => nc.publish("big.ok", new Uint8Array(1024 * 1024 + 1))).toThrow(/payload/i);
  });

  it("answers $SYS.REQ.SERVER.PING.VARZ like nats-server (what `nats server info` asks)", async () => {
    const r = await nc.request("$SYS.REQ.SERVER.PING.VARZ", enc.encode("{}"), { timeout: 5000 });
    const body = JSON.parse(dec.decode(r.data)) as { server: { id: string; ver: string }; data: { server_id: string; port: number; connections: number } };
    expect(body.server.id).toBe(nc.info!.server_id);
    expect(body.server.ver).toBe(nc.info!.version);
    expect(body.data.server_id).toBe(nc.info!.server_id);
    expect(body.data.port).toBe(broker.port);
    expect(body.data.connections).toBeGreaterThanOrEqual(1);
  });

  it("shows the connection in /connz with subs=1", async () => {
    const sub = nc.subscribe("connz.visible");
    await nc.flush();
    const body = (await (await fetch(`${broker.httpUrl}/connz?subs=1`)).json()) as {
      connections: Array<{ name?: string; subscriptions_list?: string[]; lang?: string }>;
    };
    const me = body.connections.find((c) => c.name === "core-test");
    expect(me?.lang).toBe("nats.js");
    expect(me?.subscriptions_list).toContain("connz.visible");
    sub.unsubscribe();
    // The server's first PING (~2 s after CONNECT) measures the round trip shown as rtt.
    await waitFor("rtt measured", async () => {
      const b = (await (await fetch(`${broker.httpUrl}/connz`)).json()) as { connections: Array<{ name?: string; rtt: string }> };
      const rtt = b.connections.find((c) => c.name === "core-test")?.rtt;
      return rtt !== undefined && rtt !== "0s" ? rtt : undefined;
    });
  });
});

describe("nats.js reconnect", () => {
  it("reconnects after the broker restarts and keeps its subscriptions", async () => {
    const broker = await startBroker();
    try {
      const nc = await connect({ servers: broker.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
      const received: string[] = [];
      nc.subscribe("after.restart", { callback: (_e, m) => void received.push(dec.decode(m.data)) });
      await nc.flush();
      let reconnected = false;
      void (async () => {
        for await (const s of nc.status()) if (s.type === "reconnect") reconnected = true;
      })();
      await broker.restart();
      await waitFor("client reconnect", () => reconnected, { timeout_ms: 30_000 });
      nc.publish("after.restart", enc.encode("again"));
      await nc.flush();
      await waitFor("message after restart", () => received.includes("again"));
      await nc.close();
    } finally {
      await broker.stop();
    }
  });
});
