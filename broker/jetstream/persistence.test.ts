/** Restart with real FileStores: streams, configs, dedup, and consumer state resume exactly. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../common/clock.js";
import { realStores } from "./stores.js";
import { startHarness, statusOf, type Harness } from "./test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, publish, pull, until } from "./test-support/helpers.js";

let dir: string;
let clock: ManualClock;
let h: Harness;
const start = (): Promise<Harness> => startHarness({ dir, clock, stores: realStores(clock) });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-js-persist-"));
  clock = new ManualClock();
  h = await start();
});
afterEach(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function restart(): Promise<void> {
  await h.js.flushDirty();
  await h.stop();
  h = await start();
}

describe("restart", () => {
  it("keeps messages, configs, and consumer delivered/ack floor/pending/redelivered", async () => {
    await createStream(h, { name: "S", subjects: ["s.>"], max_msgs: 100, duplicate_window: 60_000_000_000 });
    await createStream(h, { name: "MEM", subjects: ["m.>"], storage: "memory" });
    for (let i = 0; i < 6; i++) await publish(h, `s.${i}`, `v${i}`, { "Nats-Msg-Id": `id${i}` });
    await publish(h, "m.1", "gone after restart");
    await createConsumer(h, "S", { durable_name: "d", ack_policy: "explicit", ack_wait: 5_000_000_000 });
    const p = pull(h, "S", "d", { batch: 4 });
    await until("4", () => p.msgs.length === 4);
    await h.bus.request(p.msgs[0]!.reply!, "+ACK");
    await h.bus.request(p.msgs[1]!.reply!, "+ACK");
    ack(h, p.msgs[2]!, "-NAK");
    const r = pull(h, "S", "d", { batch: 1 });
    await until("redelivered", () => r.msgs.length === 1);
    expect(body(r.msgs[0]!)).toBe("v2");
    const before = await consumerInfo(h, "S", "d");

    await restart();

    const si = await h.bus.json("$JS.API.STREAM.INFO.S");
    expect(si["state"]).toMatchObject({ messages: 6, first_seq: 1, last_seq: 6 });
    expect((si["config"] as Record<string, unknown>)["max_msgs"]).toBe(100);
    expect((await h.bus.json("$JS.API.STREAM.INFO.MEM"))["state"]).toMatchObject({ messages: 0 });
    const after = await consumerInfo(h, "S", "d");
    for (const k of ["delivered", "ack_floor", "num_ack_pending", "num_redelivered", "num_pending"]) expect(after[k]).toEqual(before[k]);
    expect(after).toMatchObject({ ack_floor: { stream_seq: 2 }, num_ack_pending: 2, num_redelivered: 1, num_pending: 2 });
    // Dedup ids survive within the window.
    const dup = await h.bus.request("s.0", "v0", new TextEncoder().encode("NATS/1.0\r\nNats-Msg-Id: id0\r\n\r\n"));
    expect(body(dup)).toBe('{"stream":"S","seq":1,"duplicate": true}');
    // Unacked messages come back after ack_wait; then the rest in order.
    const rest = pull(h, "S", "d", { batch: 10, expires: 60_000_000_000 });
    await until("new ones", () => rest.msgs.length === 2);
    expect(rest.msgs.map(body)).toEqual(["v4", "v5"]);
    await h.bus.request(rest.msgs[0]!.reply!, "+ACK");
    await h.bus.request(rest.msgs[1]!.reply!, "+ACK");
    h.tick(5001);
    await until("redeliveries", () => rest.msgs.length === 4);
    expect(rest.msgs.slice(2).map(body)).toEqual(["v2", "v3"]);
    expect(rest.msgs.slice(2).map((m) => m.reply!.split(".")[4])).toEqual(["3", "2"]);
  });

  it("keeps deleted streams and consumers deleted", async () => {
    await createStream(h, { name: "A", subjects: ["a"] });
    await createStream(h, { name: "B", subjects: ["b"] });
    await createConsumer(h, "B", { durable_name: "x" });
    await createConsumer(h, "B", { durable_name: "y" });
    await h.bus.json("$JS.API.STREAM.DELETE.A");
    await h.bus.json("$JS.API.CONSUMER.DELETE.B.x");
    await restart();
    expect((await h.bus.json("$JS.API.STREAM.NAMES", {}))["streams"]).toEqual(["B"]);
    expect((await h.bus.json("$JS.API.CONSUMER.NAMES.B", {}))["consumers"]).toEqual(["y"]);
  });

  it("does not resurrect a consumer deleted while its state was being written", async () => {
    await createStream(h, { name: "R", subjects: ["r"] });
    for (let i = 0; i < 20; i++) await publish(h, "r", `${i}`);
    await createConsumer(h, "R", { durable_name: "busy", ack_policy: "explicit" });
    const p = pull(h, "R", "busy", { batch: 20 });
    await until("20", () => p.msgs.length === 20);
    for (const m of p.msgs) ack(h, m);
    const flushing = h.js.flushDirty();
    await h.bus.json("$JS.API.CONSUMER.DELETE.R.busy");
    await flushing;
    await restart();
    expect((await h.bus.json("$JS.API.CONSUMER.NAMES.R", {}))["consumers"]).toEqual([]);
  });

  it("resumes a priority consumer without redelivering what it delivered out of order", async () => {
    await createStream(h, { name: "P", subjects: ["p"], sluice_priority: true, sluice_priority_aging_ms: 0 });
    for (const pr of [1, 9, 1]) await publish(h, "p", `p${pr}`, { "Sluice-Priority": String(pr) });
    await createConsumer(h, "P", { durable_name: "w", ack_policy: "explicit" });
    const p = pull(h, "P", "w", { batch: 1 });
    await until("1", () => p.msgs.length === 1);
    expect(body(p.msgs[0]!)).toBe("p9");
    await h.bus.request(p.msgs[0]!.reply!, "+ACK");
    await restart();
    const q = pull(h, "P", "w", { batch: 5, no_wait: true });
    await until("end", () => q.msgs.some((m) => statusOf(m).code !== undefined));
    expect(q.msgs.filter((m) => statusOf(m).code === undefined).map(body)).toEqual(["p1", "p1"]);
  });
});

describe("double acks", () => {
  it("answer only once the consumer state holding the ack is on disk", async () => {
    await createStream(h, { name: "DA", subjects: ["da"] });
    for (let i = 0; i < 5; i++) await publish(h, "da", `m${i}`);
    await createConsumer(h, "DA", { durable_name: "d", ack_policy: "explicit" });
    const p = pull(h, "DA", "d", { batch: 5 });
    await until("5", () => p.msgs.length === 5);
    const file = join(dir, "jetstream", "$G", "streams", "DA", "consumers", "d.json");
    const onDisk = (): { ack_floor: { stream_seq: number }; pending: unknown[] } => (JSON.parse(readFileSync(file, "utf8")) as { state: { ack_floor: { stream_seq: number }; pending: unknown[] } }).state;
    // Check the file at the moment each reply arrives: the ack must already be in it.
    const seen: Array<{ floor: number; pending: number }> = [];
    for (const m of p.msgs) {
      const inbox = h.bus.newInbox();
      const got = new Promise<void>((resolve) => {
        const sub = h.bus.subscribe(inbox, () => {
          const st = onDisk();
          seen.push({ floor: st.ack_floor.stream_seq, pending: st.pending.length });
          sub.unsubscribe();
          resolve();
        });
      });
      ack(h, m, "+ACK", inbox);
      await got;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => ({ floor: n, pending: 5 - n })));
    // Several acks in flight at once share writes and are all answered.
    for (let i = 0; i < 5; i++) await publish(h, "da", `n${i}`);
    const q = pull(h, "DA", "d", { batch: 5 });
    await until("5 more", () => q.msgs.length === 5);
    const replies = q.msgs.map((m) => h.bus.request(m.reply!, "+ACK"));
    await Promise.all(replies);
    expect(onDisk()).toMatchObject({ ack_floor: { stream_seq: 10 }, pending: [] });
  });
});

describe("mirror and sources", () => {
  it("mirrors a stream one way, keeping sequences, and catches up after restart", async () => {
    await createStream(h, { name: "ORIG", subjects: ["o.>"] });
    for (let i = 0; i < 3; i++) await publish(h, `o.${i}`, `v${i}`);
    await h.bus.json("$JS.API.STREAM.MSG.DELETE.ORIG", { seq: 2 });
    await createStream(h, { name: "M", mirror: { name: "ORIG" } });
    await until("caught up", () => h.js.streams.get("M")!.store.state().last_seq === 3);
    await publish(h, "o.x", "live");
    await until("live", () => h.js.streams.get("M")!.store.state().last_seq === 4);
    const m = await h.bus.json("$JS.API.STREAM.MSG.GET.M", { seq: 4 });
    expect((m["message"] as Record<string, unknown>)["subject"]).toBe("o.x");
    expect((await h.bus.json("$JS.API.STREAM.MSG.GET.M", { seq: 2 }))["error"]).toMatchObject({ err_code: 10037 });
    const info = await h.bus.json("$JS.API.STREAM.INFO.M");
    expect(info["mirror"]).toMatchObject({ name: "ORIG", lag: 0 });
    // Publishing to the mirror's origin subjects never lands in the mirror twice.
    await restart();
    await publish(h, "o.y", "after");
    await until("after restart", () => h.js.streams.get("M")!.store.state().last_seq === 5);
    expect(h.js.streams.get("M")!.store.state().msgs).toBe(4);
  });

  it("sources several streams into one with provenance headers", async () => {
    await createStream(h, { name: "A", subjects: ["a.>"] });
    await createStream(h, { name: "B", subjects: ["b.>"] });
    await publish(h, "a.1", "from-a");
    await publish(h, "b.1", "from-b");
    await createStream(h, { name: "ALL", subjects: ["all.>"], sources: [{ name: "A" }, { name: "B" }] });
    await until("both", () => h.js.streams.get("ALL")!.store.state().msgs === 2);
    await restart();
    await publish(h, "a.2", "later");
    await until("three, no duplicates", () => h.js.streams.get("ALL")!.store.state().msgs === 3);
    const last = await h.bus.json("$JS.API.STREAM.MSG.GET.ALL", { seq: 3 });
    const hdr = Buffer.from(String((last["message"] as Record<string, unknown>)["hdrs"]), "base64").toString();
    expect(hdr).toContain("Nats-Stream-Source: A 2");
  });
});
