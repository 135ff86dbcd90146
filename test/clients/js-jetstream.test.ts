/**
 * nats.js v3 JetStream (@nats-io/jetstream) against a real `sluice broker -js` process:
 * stream CRUD, publish with dedup and expectations, pull consumers with ack/nak/term and
 * redelivery, ordered consumers, and a restart in the middle with no loss.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { startBroker, type BrokerProcess } from "./broker-process.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("nats.js JetStream", () => {
  let broker: BrokerProcess;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let storeDir: string;

  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), "sluice-js-"));
    broker = await startBroker(["-js", "-sd", storeDir]);
    nc = await connect({ servers: broker.url, name: "js-test", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("reports account info", async () => {
    const info = await jsm.getAccountInfo();
    expect(info.streams).toBe(0);
    expect(info.limits.max_streams).toBe(-1);
  });

  it("creates, lists, updates and deletes streams", async () => {
    const si = await jsm.streams.add({ name: "CRUD", subjects: ["crud.>"] });
    expect(si.config.retention).toBe("limits");
    const names = await jsm.streams.names().next();
    expect(names).toContain("CRUD");
    const upd = await jsm.streams.update("CRUD", { subjects: ["crud.>", "more.>"], max_msgs: 100 });
    expect(upd.config.max_msgs).toBe(100);
    await expect(jsm.streams.info("NOPE")).rejects.toThrow(/stream not found/);
    expect(await jsm.streams.find("more.x")).toBe("CRUD");
    expect(await jsm.streams.delete("CRUD")).toBe(true);
  });

  it("publishes with dedup and expectations", async () => {
    await jsm.streams.add({ name: "PUB", subjects: ["pub.>"] });
    const a = await js.publish("pub.a", "1", { msgID: "id-1" });
    expect(a).toMatchObject({ stream: "PUB", seq: 1, duplicate: false });
    const dup = await js.publish("pub.a", "1", { msgID: "id-1" });
    expect(dup.duplicate).toBe(true);
    expect(dup.seq).toBe(1);
    await expect(js.publish("pub.a", "2", { expect: { lastSequence: 5 } })).rejects.toThrow(/wrong last sequence: 1/);
    await expect(js.publish("pub.a", "2", { expect: { streamName: "OTHER" } })).rejects.toThrow(/expected stream does not match/);
    const b = await js.publish("pub.a", "2", { expect: { lastSequence: 1, lastSubjectSequence: 1, lastMsgID: "id-1", streamName: "PUB" } });
    expect(b.seq).toBe(2);
    await expect(js.publish("nostream.x", "x")).rejects.toThrow(/jetstream is not enabled|no responders|503/i);
    const m = await jsm.streams.getMessage("PUB", { last_by_subj: "pub.a" });
    expect(m?.seq).toBe(2);
    expect(m?.string()).toBe("2");
  });

  it("pull-consumes with ack, nak and term, redelivering until acked", async () => {
    await jsm.streams.add({ name: "WORK", subjects: ["work.*"] });
    for (let i = 0; i < 5; i++) await js.publish(`work.${i}`, `job-${i}`);
    await jsm.consumers.add("WORK", { durable_name: "w", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
    const c = await js.consumers.get("WORK", "w");
    const first = await c.fetch({ max_messages: 5, expires: 2000 });
    const got: string[] = [];
    for await (const m of first) {
      got.push(m.string());
      if (m.string() === "job-0") m.nak(300);
      else if (m.string() === "job-1") m.term("bad input");
      else if (m.string() === "job-2") {
        // no ack: redelivered after ack_wait
      } else expect(await m.ackAck()).toBe(true);
    }
    expect(got).toEqual(["job-0", "job-1", "job-2", "job-3", "job-4"]);
    const redelivered: Array<[string, number]> = [];
    for (let round = 0; round < 10 && redelivered.length < 2; round++) {
      const batch = await c.fetch({ max_messages: 2, expires: 1500 });
      for await (const m of batch) {
        redelivered.push([m.string(), m.info.deliveryCount]);
        m.ack();
      }
    }
    expect(redelivered.map(([s]) => s).sort()).toEqual(["job-0", "job-2"]);
    expect(redelivered.every(([, n]) => n === 2)).toBe(true);
    const info = await c.info();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    expect(info.delivered.stream_seq).toBe(5);
  });

  it("answers no_wait fetches on an empty consumer with 404 (empty result)", async () => {
    await jsm.streams.add({ name: "EMPTY", subjects: ["empty"] });
    await jsm.consumers.add("EMPTY", { durable_name: "e", ack_policy: AckPolicy.Explicit });
    const c = await js.consumers.get("EMPTY", "e");
    const iter = await c.fetch({ max_messages: 10, expires: 1000 });
    let n = 0;
    for await (const _m of iter) n++;
    expect(n).toBe(0);
    const next = await c.next({ expires: 1000 });
    expect(next).toBeNull();
  });

  it("consumes continuously with consume()", async () => {
    await jsm.streams.add({ name: "CONS", subjects: ["cons"] });
    await jsm.consumers.add("CONS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
    const c = await js.consumers.get("CONS", "c");
    const msgs = await c.consume({ max_messages: 10 });
    const got: number[] = [];
    const done = (async () => {
      for await (const m of msgs) {
        got.push(m.seq);
        m.ack();
        if (got.length === 50) break;
      }
    })();
    for (let i = 0; i < 50; i++) await js.publish("cons", `m${i}`);
    await done;
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("runs an ordered consumer", async () => {
    await jsm.streams.add({ name: "ORD", subjects: ["ord.>"] });
    for (let i = 0; i < 20; i++) await js.publish(`ord.${i % 3}`, `o${i}`);
    const oc = await js.consumers.get("ORD", { filter_subjects: ["ord.1"], deliver_policy: DeliverPolicy.All });
    const iter = await oc.fetch({ max_messages: 100, expires: 1000 });
    const got: string[] = [];
    for await (const m of iter) got.push(m.string());
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 === 1).map((i) => `o${i}`));
  });

  it("delivers to a durable push consumer and acks", async () => {
    await jsm.streams.add({ name: "PUSH", subjects: ["push.>"] });
    for (let i = 0; i < 10; i++) await js.publish(`push.${i}`, `p${i}`);
    await jsm.consumers.add("PUSH", { durable_name: "pd", ack_policy: AckPolicy.Explicit, deliver_subject: "deliver.pd", idle_heartbeat: 1_000_000_000, flow_control: true });
    const pc = await js.consumers.getPushConsumer("PUSH", "pd");
    const msgs = await pc.consume();
    const got: string[] = [];
    for await (const m of msgs) {
      got.push(`${m.subject}=${m.string()}`);
      m.ack();
      if (got.length === 10) break;
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `push.${i}=p${i}`));
    await waitFor("acks applied", async () => (await jsm.consumers.info("PUSH", "pd")).num_ack_pending === 0);
  });

  it("runs an ordered push consumer across many messages (flow control)", async () => {
    await jsm.streams.add({ name: "OPUSH", subjects: ["opush"] });
    const total = 2000;
    const pubs: Array<Promise<unknown>> = [];
    for (let i = 0; i < total; i++) pubs.push(js.publish("opush", `${i}`));
    await Promise.all(pubs);
    const pc = await js.consumers.getPushConsumer("OPUSH");
    const msgs = await pc.consume();
    let expected = 0;
    for await (const m of msgs) {
      expect(m.string()).toBe(`${expected}`);
      expected++;
      if (expected === total) break;
    }
    expect(expected).toBe(total);
  });

  it("surfaces API errors with nats-server codes", async () => {
    await jsm.streams.add({ name: "ERR", subjects: ["err"] });
    const e = await jsm.streams.add({ name: "ERR", subjects: ["other"] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JetStreamApiError);
    expect((e as JetStreamApiError).code).toBe(10058);
    const ce = await jsm.consumers.info("ERR", "nope").catch((x: unknown) => x);
    expect((ce as JetStreamApiError).code).toBe(10014);
  });

  it("keeps every acknowledged message and consumer position across a restart", async () => {
    await jsm.streams.add({ name: "DUR", subjects: ["dur.>"] });
    await jsm.consumers.add("DUR", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) acked.push((await js.publish(`dur.${i}`, `v${i}`)).seq);
    const c = await js.consumers.get("DUR", "d");
    const first = await c.fetch({ max_messages: 8, expires: 2000 });
    for await (const m of first) await m.ackAck();
    await broker.restart();
    // The client reconnects; the stream and the consumer's ack floor survived.
    const si = await waitFor("stream info after restart", () => jsm.streams.info("DUR").catch(() => undefined), { timeout_ms: 30_000 });
    expect(si.state.messages).toBe(20);
    expect(si.state.last_seq).toBe(20);
    const ci = await jsm.consumers.info("DUR", "d");
    expect(ci.ack_floor.stream_seq).toBe(8);
    expect(ci.num_pending).toBe(12);
    const rest = await c.fetch({ max_messages: 12, expires: 3000 });
    const seqs: number[] = [];
    for await (const m of rest) {
      seqs.push(m.seq);
      m.ack();
    }
    expect(seqs).toEqual(acked.slice(8));
    const h = headers();
    h.set("Nats-Msg-Id", "after-restart");
    expect((await js.publish("dur.x", enc.encode("x"), { headers: h })).seq).toBe(21);
    expect(dec.decode(enc.encode("ok"))).toBe("ok");
  });
});
