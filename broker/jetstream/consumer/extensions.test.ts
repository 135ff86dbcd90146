/** Sluice extensions: Sluice-Priority ordering with aging, and dead-letter republishing. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, statusOf, type Harness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, headerText, publish, pull, until } from "../test-support/helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

async function drain(stream: string, consumer: string, n: number): Promise<string[]> {
  const p = pull(h, stream, consumer, { batch: n, no_wait: true });
  await until("drained", () => p.msgs.some((m) => statusOf(m).code !== undefined) || p.msgs.length === n);
  return p.msgs.filter((m) => statusOf(m).code === undefined).map(body);
}

describe("Sluice priority", () => {
  it("delivers higher priority first, FIFO within a priority", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true, sluice_priority_aging_ms: 0 });
    const prios = [0, 5, 9, 5, 0, 9, 3];
    for (let i = 0; i < prios.length; i++) await publish(h, "p.job", `m${i}/p${prios[i]}`, { "Sluice-Priority": String(prios[i]) });
    await publish(h, "p.job", "m7/none");
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit" });
    expect(await drain("P", "w", 20)).toEqual(["m2/p9", "m5/p9", "m1/p5", "m3/p5", "m6/p3", "m0/p0", "m4/p0", "m7/none"]);
    const info = await consumerInfo(h, "P", "w");
    expect(info["num_pending"]).toBe(0);
    expect(info["num_ack_pending"]).toBe(8);
  });

  it("interleaves new high-priority arrivals ahead of an older backlog", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true, sluice_priority_aging_ms: 0 });
    for (let i = 0; i < 3; i++) await publish(h, "p.low", `low${i}`, { "Sluice-Priority": "1" });
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit" });
    expect(await drain("P", "w", 1)).toEqual(["low0"]);
    await publish(h, "p.high", "high0", { "Sluice-Priority": "8" });
    expect(await drain("P", "w", 1)).toEqual(["high0"]);
    expect(await drain("P", "w", 5)).toEqual(["low1", "low2"]);
  });

  it("bounds starvation: waiting raises effective priority by one level per aging period", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true, sluice_priority_aging_ms: 1000 });
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit" });
    await publish(h, "p.x", "old-p0", { "Sluice-Priority": "0" });
    h.clock.advance(5000); // old-p0 now scores 5
    for (let i = 0; i < 3; i++) await publish(h, "p.x", `new-p3-${i}`, { "Sluice-Priority": "3" });
    await publish(h, "p.x", "new-p7", { "Sluice-Priority": "7" });
    expect(await drain("P", "w", 10)).toEqual(["new-p7", "old-p0", "new-p3-0", "new-p3-1", "new-p3-2"]);
  });

  it("gives each priority level its share under a steady high-priority flood (fairness)", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true, sluice_priority_aging_ms: 100 });
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit" });
    for (let i = 0; i < 5; i++) await publish(h, "p.x", `low${i}`, { "Sluice-Priority": "0" });
    const order: string[] = [];
    // Each round: 2 new p9 messages arrive, 100 ms pass, the worker takes 2.
    for (let round = 0; round < 20; round++) {
      await publish(h, "p.x", `hi${round}a`, { "Sluice-Priority": "9" });
      await publish(h, "p.x", `hi${round}b`, { "Sluice-Priority": "9" });
      h.clock.advance(100);
      order.push(...(await drain("P", "w", 2)));
    }
    // Every low-priority message got through while the flood continued.
    for (let i = 0; i < 5; i++) expect(order).toContain(`low${i}`);
    const lastLow = order.indexOf("low4");
    expect(lastLow).toBeLessThan(30);
    // FIFO among the low ones.
    expect(order.filter((s) => s.startsWith("low"))).toEqual(["low0", "low1", "low2", "low3", "low4"]);
  });

  it("rejects an out-of-range Sluice-Priority and ignores the header on plain streams", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true });
    const r = await h.bus.request("p.x", "x", new TextEncoder().encode("NATS/1.0\r\nSluice-Priority: 12\r\n\r\n"));
    expect(JSON.parse(body(r))).toMatchObject({ error: { err_code: 10003 } });
    await createStream(h, { name: "F", subjects: ["f.>"] });
    await publish(h, "f.x", "a", { "Sluice-Priority": "0" });
    await publish(h, "f.x", "b", { "Sluice-Priority": "9" });
    await createConsumer(h, "F", { durable_name: "w" });
    expect(await drain("F", "w", 5)).toEqual(["a", "b"]);
  });

  it("keeps priority order across acks and redeliveries", async () => {
    await createStream(h, { name: "P", subjects: ["p.>"], sluice_priority: true, sluice_priority_aging_ms: 0 });
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit", ack_wait: 1_000_000_000 });
    for (const p of [1, 2, 3]) await publish(h, "p.x", `p${p}`, { "Sluice-Priority": String(p) });
    const first = pull(h, "P", "w", { batch: 1 });
    await until("1", () => first.msgs.length === 1);
    expect(body(first.msgs[0]!)).toBe("p3");
    ack(h, first.msgs[0]!);
    expect(await drain("P", "w", 5)).toEqual(["p2", "p1"]);
    h.tick(1001);
    expect(await drain("P", "w", 5)).toEqual(["p1", "p2"]);
  });
});

describe("dead-letter subject", () => {
  beforeEach(async () => {
    await createStream(h, { name: "ORD", subjects: ["ord.>"] });
    await createStream(h, { name: "DLQ", subjects: ["dlq.>"] });
  });

  it("republishes once on max_deliver with provenance headers", async () => {
    await publish(h, "ord.1", "payload-1", { "App-Header": "keep-me" });
    await createConsumer(h, "ORD", { durable_name: "w", ack_policy: "explicit", ack_wait: 1_000_000_000, max_deliver: 2, sluice_dead_letter_subject: "dlq.ord" });
    const dl = h.bus.collect("dlq.ord");
    const r = pull(h, "ORD", "w", { batch: 10, expires: 60_000_000_000 });
    await until("first", () => r.msgs.length === 1);
    h.tick(1001);
    await until("second", () => r.msgs.length === 2);
    expect(dl.msgs.length).toBe(0);
    h.tick(1001);
    await until("dead-lettered", () => dl.msgs.length === 1);
    for (let i = 0; i < 5; i++) h.tick(1001);
    expect(dl.msgs.length).toBe(1);
    expect(r.msgs.length).toBe(2);
    const m = dl.msgs[0]!;
    expect(body(m)).toBe("payload-1");
    const text = headerText(m);
    expect(text).toContain("App-Header: keep-me\r\n");
    expect(text).toContain("Sluice-Dead-Letter-Stream: ORD\r\n");
    expect(text).toContain("Sluice-Dead-Letter-Sequence: 1\r\n");
    expect(text).toContain("Sluice-Dead-Letter-Consumer: w\r\n");
    expect(text).toContain("Sluice-Dead-Letter-Deliveries: 2\r\n");
    expect(text).toContain("Sluice-Dead-Letter-Reason: max_deliver\r\n");
    // A stream on the dead-letter subject keeps it.
    await until("stored in DLQ", () => h.js.streams.get("DLQ")!.store.state().msgs === 1);
    expect((await consumerInfo(h, "ORD", "w"))["num_ack_pending"]).toBe(0);
  });

  it("republishes on +TERM with the reason", async () => {
    await publish(h, "ord.2", "payload-2");
    await createConsumer(h, "ORD", { durable_name: "w", ack_policy: "explicit", sluice_dead_letter_subject: "dlq.ord" });
    const dl = h.bus.collect("dlq.ord");
    const r = pull(h, "ORD", "w", { batch: 1 });
    await until("msg", () => r.msgs.length === 1);
    ack(h, r.msgs[0]!, "+TERM bad schema");
    await until("dead-lettered", () => dl.msgs.length === 1);
    expect(headerText(dl.msgs[0]!)).toContain("Sluice-Dead-Letter-Reason: term: bad schema\r\n");
    expect(headerText(dl.msgs[0]!)).toContain("Sluice-Dead-Letter-Deliveries: 1\r\n");
  });

  it("is off by default: max_deliver only stops redelivery", async () => {
    await publish(h, "ord.3", "p");
    await createConsumer(h, "ORD", { durable_name: "w", ack_policy: "explicit", ack_wait: 1_000_000_000, max_deliver: 1 });
    const all = h.bus.collect("dlq.>");
    const r = pull(h, "ORD", "w", { batch: 5, expires: 60_000_000_000 });
    await until("msg", () => r.msgs.length === 1);
    h.tick(1001);
    h.tick(1001);
    await until("given up", () => h.js.findConsumer("ORD", "w")!.state.pending.size === 0);
    expect(all.msgs.length).toBe(0);
    expect(r.msgs.length).toBe(1);
  });

  it("rejects a wildcard dead-letter subject", async () => {
    const r = await createConsumer(h, "ORD", { durable_name: "w", ack_policy: "explicit", sluice_dead_letter_subject: "dlq.*" });
    expect(r["error"]).toMatchObject({ err_code: 10012, description: "sluice_dead_letter_subject must be a literal subject" });
  });
});
