import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, statusOf, type Harness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, headerText, publish, pull, until } from "../test-support/helpers.js";

type Json = Record<string, unknown>;
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await createStream(h, { name: "S", subjects: ["s.>"] });
});
afterEach(async () => {
  await h.stop();
});

async function fill(n: number, subject = (i: number) => `s.${i}`): Promise<void> {
  for (let i = 0; i < n; i++) await publish(h, subject(i), `m${i}`);
}

describe("pull requests: status replies", () => {
  it("404 No Messages for no_wait with nothing pending", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 5, no_wait: true });
    await until("404", () => p.msgs.length === 1);
    expect(headerText(p.msgs[0]!)).toBe("NATS/1.0 404 No Messages\r\n\r\n");
  });

  it("no_wait delivers what is there then ends with 408", async () => {
    await fill(2);
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 5, no_wait: true });
    await until("2 + status", () => p.msgs.length === 3);
    expect(p.msgs.slice(0, 2).map(body)).toEqual(["m0", "m1"]);
    expect(statusOf(p.msgs[2]!).code).toBe(408);
  });

  it("408 Request Timeout with pending headers when expires passes", async () => {
    await fill(1);
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 3, expires: 1_000_000_000, max_bytes: 1000 });
    await until("one message", () => p.msgs.length === 1);
    expect(p.msgs[0]!.subject).toBe("s.0");
    h.tick(999);
    expect(p.msgs.length).toBe(1);
    h.tick(2);
    await until("timeout", () => p.msgs.length === 2);
    const st = statusOf(p.msgs[1]!);
    expect(st.code).toBe(408);
    expect(st.description).toBe("Request Timeout");
    expect(st.headers.get("Nats-Pending-Messages")).toBe("2");
    expect(Number(st.headers.get("Nats-Pending-Bytes"))).toBeLessThan(1000);
  });

  const caps: Array<[string, Json, Json, number, string]> = [
    ["batch over max_batch", { max_batch: 2 }, { batch: 3 }, 409, "Exceeded MaxRequestBatch of 2"],
    ["max_bytes over the cap", { max_bytes: 100 }, { batch: 1, max_bytes: 200 }, 409, "Exceeded MaxRequestMaxBytes of 100"],
    ["expires over max_expires", { max_expires: 1_000_000_000 }, { batch: 1, expires: 5_000_000_000 }, 409, "Exceeded MaxRequestExpires of 1s"],
    ["heartbeat over half the expiry", {}, { batch: 1, expires: 1_000_000_000, idle_heartbeat: 600_000_000 }, 400, "Bad Request - heartbeat value too large"],
  ];
  it.each(caps)("%s", async (_n, cfg, req, code, description) => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", ...cfg });
    const p = pull(h, "S", "c", req);
    await until("status", () => p.msgs.length === 1);
    expect(statusOf(p.msgs[0]!)).toMatchObject({ code, description });
  });

  it("409 Exceeded MaxWaiting when the queue of requests is full", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", max_waiting: 1 });
    const first = pull(h, "S", "c", { batch: 1, expires: 10_000_000_000 });
    const second = pull(h, "S", "c", { batch: 1, expires: 10_000_000_000 });
    await until("refused", () => second.msgs.length === 1);
    expect(statusOf(second.msgs[0]!)).toMatchObject({ code: 409, description: "Exceeded MaxWaiting" });
    expect(first.msgs.length).toBe(0);
  });

  it("409 Consumer is push based, and 409 Consumer Deleted for waiting requests", async () => {
    await createConsumer(h, "S", { durable_name: "push", deliver_subject: "deliver.p" });
    const p = pull(h, "S", "push", { batch: 1 });
    await until("push 409", () => p.msgs.length === 1);
    expect(statusOf(p.msgs[0]!)).toMatchObject({ code: 409, description: "Consumer is push based" });
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const w = pull(h, "S", "c", { batch: 1, expires: 10_000_000_000 });
    await h.bus.json("$JS.API.CONSUMER.DELETE.S.c");
    await until("deleted 409", () => w.msgs.length === 1);
    expect(statusOf(w.msgs[0]!)).toMatchObject({ code: 409, description: "Consumer Deleted" });
  });

  it("409 Message Size Exceeds MaxBytes when the next message does not fit", async () => {
    await publish(h, "s.big", "x".repeat(500));
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 1, max_bytes: 100 });
    await until("409", () => p.msgs.length === 1);
    expect(statusOf(p.msgs[0]!)).toMatchObject({ code: 409, description: "Message Size Exceeds MaxBytes" });
    expect((await consumerInfo(h, "S", "c"))["num_ack_pending"]).toBe(0);
  });

  it("sends idle heartbeats on a waiting request", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 1, expires: 10_000_000_000, idle_heartbeat: 1_000_000_000 });
    await until("queued", () => h.js.findConsumer("S", "c")!.waiting.length === 1);
    h.tick(1000);
    await until("heartbeat", () => p.msgs.length === 1);
    expect(statusOf(p.msgs[0]!)).toMatchObject({ code: 100, description: "Idle Heartbeat" });
  });

  it("accepts a plain integer body as the batch size and an empty body as 1", async () => {
    await fill(3);
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "none" });
    const a = pull(h, "S", "c", "2");
    await until("2", () => a.msgs.length === 2);
    const b = pull(h, "S", "c", "");
    await until("1", () => b.msgs.length === 1);
    expect(body(b.msgs[0]!)).toBe("m2");
  });
});

describe("acks", () => {
  beforeEach(async () => {
    await fill(4);
  });

  it("carries the v1 ack subject and answers double acks", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 1 });
    await until("msg", () => p.msgs.length === 1);
    expect(p.msgs[0]!.reply).toMatch(/^\$JS\.ACK\.S\.c\.1\.1\.1\.\d+\.3$/);
    const r = await h.bus.request(p.msgs[0]!.reply!, "+ACK");
    expect(r.payload.length).toBe(0);
    const info = await consumerInfo(h, "S", "c");
    expect(info).toMatchObject({ num_ack_pending: 0, ack_floor: { consumer_seq: 1, stream_seq: 1 }, num_pending: 3 });
  });

  it("redelivers after ack_wait, after -NAK (with delay) and not after +WPI in time", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", ack_wait: 2_000_000_000 });
    const p = pull(h, "S", "c", { batch: 3 });
    await until("3", () => p.msgs.length === 3);
    ack(h, p.msgs[0]!, "-NAK");
    ack(h, p.msgs[1]!, '-NAK {"delay": 500000000}');
    const r = pull(h, "S", "c", { batch: 10, expires: 60_000_000_000 });
    // Redeliveries go first, then new messages.
    await until("nak redelivery + new", () => r.msgs.length === 2);
    expect(r.msgs[0]!.reply).toMatch(/^\$JS\.ACK\.S\.c\.2\.1\.4\./);
    expect(body(r.msgs[1]!)).toBe("m3");
    ack(h, r.msgs[0]!);
    ack(h, r.msgs[1]!);
    h.tick(499);
    expect(r.msgs.length).toBe(2);
    h.tick(2);
    await until("delayed nak due", () => r.msgs.length === 3);
    expect(body(r.msgs[2]!)).toBe("m1");
    ack(h, r.msgs[2]!);
    h.tick(1000); // t=1501
    ack(h, p.msgs[2]!, "+WPI"); // m2 now due at 3501 instead of 2000
    h.tick(1000); // t=2501
    expect(r.msgs.length).toBe(3);
    h.tick(1001); // t=3502
    await until("wpi expiry", () => r.msgs.length === 4);
    expect(body(r.msgs[3]!)).toBe("m2");
    const info = await consumerInfo(h, "S", "c");
    expect(info["num_redelivered"]).toBe(1);
    expect(info["num_ack_pending"]).toBe(1);
  });

  it("+NXT acks and pulls the next message to the ack's reply", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
    const p = pull(h, "S", "c", { batch: 1 });
    await until("1", () => p.msgs.length === 1);
    const inbox = h.bus.newInbox();
    const next = h.bus.collect(inbox);
    h.bus.publish(p.msgs[0]!.reply!, inbox, undefined, new TextEncoder().encode("+NXT"));
    await until("next", () => next.msgs.length === 1);
    expect(body(next.msgs[0]!)).toBe("m1");
    expect((await consumerInfo(h, "S", "c"))["ack_floor"]).toMatchObject({ stream_seq: 1 });
  });

  it("ack_policy all acks everything up to the sequence", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "all" });
    const p = pull(h, "S", "c", { batch: 4 });
    await until("4", () => p.msgs.length === 4);
    ack(h, p.msgs[2]!);
    await until("floor", () => h.js.findConsumer("S", "c")!.state.pending.size === 1);
    expect((await consumerInfo(h, "S", "c"))["ack_floor"]).toMatchObject({ stream_seq: 3 });
  });

  it("+TERM stops redelivery; max_deliver caps it", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", ack_wait: 1_000_000_000, max_deliver: 2, filter_subjects: ["s.0", "s.1"] });
    const p = pull(h, "S", "c", { batch: 2 });
    await until("2", () => p.msgs.length === 2);
    ack(h, p.msgs[0]!, "+TERM no good");
    const r = pull(h, "S", "c", { batch: 10, expires: 60_000_000_000 });
    h.tick(1001);
    await until("redelivery of m1 only", () => r.msgs.length === 1);
    expect(body(r.msgs[0]!)).toBe("m1");
    h.tick(1001);
    h.tick(1001);
    await until("given up", () => h.js.findConsumer("S", "c")!.state.pending.size === 0);
    expect(r.msgs.length).toBe(1);
    expect((await consumerInfo(h, "S", "c"))["ack_floor"]).toMatchObject({ stream_seq: 2 });
  });

  it("uses backoff for successive redeliveries", async () => {
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", max_deliver: 4, backoff: [1_000_000_000, 5_000_000_000], filter_subject: "s.0" });
    const r = pull(h, "S", "c", { batch: 5, expires: 60_000_000_000 });
    await until("first delivery", () => r.msgs.length === 1);
    h.tick(1001);
    await until("first redelivery after 1s", () => r.msgs.length === 2);
    h.tick(4000);
    expect(r.msgs.length).toBe(2);
    h.tick(1001);
    await until("second redelivery after 5s more", () => r.msgs.length === 3);
    expect(r.msgs.map((m) => m.reply!.split(".")[4])).toEqual(["1", "2", "3"]);
  });
});

describe("deliver policies", () => {
  beforeEach(async () => {
    for (const s of ["s.a", "s.b", "s.a", "s.c", "s.b"]) await publish(h, s, s);
  });
  const cases: Array<[string, Json, number[]]> = [
    ["all", { deliver_policy: "all" }, [1, 2, 3, 4, 5]],
    ["last", { deliver_policy: "last" }, [5]],
    ["last with filter", { deliver_policy: "last", filter_subject: "s.a" }, [3]],
    ["new", { deliver_policy: "new" }, []],
    ["by_start_sequence", { deliver_policy: "by_start_sequence", opt_start_seq: 4 }, [4, 5]],
    ["last_per_subject", { deliver_policy: "last_per_subject" }, [3, 4, 5]],
    ["filter_subjects", { filter_subjects: ["s.a", "s.c"] }, [1, 3, 4]],
  ];
  it.each(cases)("%s", async (_n, cfg, seqs) => {
    const r = await createConsumer(h, "S", { durable_name: "c", ack_policy: "none", ...cfg });
    expect(r["num_pending"]).toBe(seqs.length);
    const p = pull(h, "S", "c", { batch: 10, no_wait: true });
    await until("end", () => p.msgs.some((m) => statusOf(m).code !== undefined));
    const got = p.msgs.filter((m) => statusOf(m).code === undefined).map((m) => Number(m.reply!.split(".")[5]));
    expect(got).toEqual(seqs);
  });

  it("by_start_time", async () => {
    h.clock.advance(60_000);
    const t = new Date(h.clock.nowMs()).toISOString();
    await publish(h, "s.z", "late");
    await createConsumer(h, "S", { durable_name: "c", deliver_policy: "by_start_time", opt_start_time: t });
    expect((await consumerInfo(h, "S", "c"))["num_pending"]).toBe(1);
  });
});

describe("push consumers", () => {
  it("delivers with the original subject, heartbeats and flow control", async () => {
    const deliver = h.bus.collect("deliver.x");
    await createConsumer(h, "S", { durable_name: "p", deliver_subject: "deliver.x", flow_control: true, idle_heartbeat: 1_000_000_000, ack_policy: "none" });
    await fill(3);
    await until("3", () => deliver.msgs.length === 3);
    expect(deliver.msgs.map((m) => m.subject)).toEqual(["s.0", "s.1", "s.2"]);
    h.tick(1000);
    await until("hb", () => deliver.msgs.length === 4);
    const hb = statusOf(deliver.msgs[3]!);
    expect(hb).toMatchObject({ code: 100, description: "Idle Heartbeat" });
    expect(hb.headers.get("Nats-Last-Consumer")).toBe("3");
    expect(hb.headers.get("Nats-Last-Stream")).toBe("3");
    // Flow control: after 512 messages the consumer asks and stalls until answered.
    deliver.msgs.length = 0;
    await fill(600, (i) => `s.f${i}`);
    await until("fc request", () => deliver.msgs.some((m) => statusOf(m).description === "FlowControl Request"));
    const fc = deliver.msgs.find((m) => statusOf(m).description === "FlowControl Request")!;
    expect(fc.reply).toMatch(/^\$JS\.FC\.S\.p\./);
    // 512 data messages since the consumer started (3 earlier + 509 now), then the request.
    expect(deliver.msgs.length).toBe(510);
    h.tick(1000);
    const stalledHb = deliver.msgs.at(-1)!;
    expect(statusOf(stalledHb).headers.get("Nats-Consumer-Stalled")).toBe(fc.reply);
    h.bus.publish(fc.reply!, undefined, undefined, new Uint8Array(0));
    await until("resumed", () => deliver.msgs.filter((m) => statusOf(m).code === undefined).length === 600);
  });

  it("waits for interest on the deliver subject, and deletes an inactive ephemeral", async () => {
    await fill(2);
    const r = await h.bus.json("$JS.API.CONSUMER.CREATE.S", { stream_name: "S", config: { deliver_subject: "later.x", inactive_threshold: 2_000_000_000 } });
    const name = String(r["name"]);
    const sub = h.bus.collect("later.x");
    h.tick(20);
    await until("delivered once subscribed", () => sub.msgs.length === 2);
    sub.stop();
    h.tick(1000);
    expect(h.js.findConsumer("S", name)).toBeDefined();
    h.tick(1500);
    await until("expired", () => h.js.findConsumer("S", name) === undefined);
  });
});

describe("retention", () => {
  it("workqueue removes acked messages", async () => {
    await createStream(h, { name: "Q", subjects: ["q.>"], retention: "workqueue" });
    for (let i = 0; i < 3; i++) await publish(h, `q.${i}`, `j${i}`);
    await createConsumer(h, "Q", { durable_name: "w", ack_policy: "explicit" });
    const p = pull(h, "Q", "w", { batch: 3 });
    await until("3", () => p.msgs.length === 3);
    ack(h, p.msgs[0]!);
    ack(h, p.msgs[2]!);
    await until("removed", () => h.js.streams.get("Q")!.store.state().msgs === 1);
    expect((await h.bus.json("$JS.API.STREAM.MSG.GET.Q", { seq: 2 }))["message"]).toBeDefined();
  });

  it("interest keeps a message until every interested consumer acked, and drops it with no consumers", async () => {
    await createStream(h, { name: "I", subjects: ["i.>"], retention: "interest" });
    await publish(h, "i.none", "dropped");
    await until("dropped", () => h.js.streams.get("I")!.store.state().msgs === 0);
    await createConsumer(h, "I", { durable_name: "a", ack_policy: "explicit" });
    await createConsumer(h, "I", { durable_name: "b", ack_policy: "explicit" });
    await publish(h, "i.x", "kept");
    const pa = pull(h, "I", "a", { batch: 1 });
    const pb = pull(h, "I", "b", { batch: 1 });
    await until("both", () => pa.msgs.length === 1 && pb.msgs.length === 1);
    await h.bus.request(pa.msgs[0]!.reply!, "+ACK");
    expect(h.js.streams.get("I")!.store.state().msgs).toBe(1);
    await h.bus.request(pb.msgs[0]!.reply!, "+ACK");
    await until("removed", () => h.js.streams.get("I")!.store.state().msgs === 0);
  });
});

describe("headers_only and replay", () => {
  it("delivers headers with Nats-Msg-Size and no body", async () => {
    await publish(h, "s.h", "hello world");
    await createConsumer(h, "S", { durable_name: "c", headers_only: true });
    const p = pull(h, "S", "c", { batch: 1 });
    await until("1", () => p.msgs.length === 1);
    expect(p.msgs[0]!.payload.length).toBe(0);
    expect(headerText(p.msgs[0]!)).toContain("Nats-Msg-Size: 11");
  });
});

describe("replay_policy original", () => {
  it("spaces deliveries like the original publishes", async () => {
    await publish(h, "s.r", "first");
    h.clock.advance(3000);
    await publish(h, "s.r", "second");
    const deliver = h.bus.collect("replay.x");
    await createConsumer(h, "S", { durable_name: "r", deliver_subject: "replay.x", replay_policy: "original" });
    await until("first", () => deliver.msgs.length === 1);
    h.tick(2000);
    expect(deliver.msgs.length).toBe(1);
    h.tick(1001);
    await until("second, 3 s later", () => deliver.msgs.length === 2);
    expect(deliver.msgs.map(body)).toEqual(["first", "second"]);
  });
});
