/** The recent-message cache: bounds, eviction order, and that consumers never see removed messages. */
import { describe, expect, it } from "vitest";
import type { StoredMessage } from "../../store/types.js";
import { startHarness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, publish, pull, until } from "../test-support/helpers.js";
import { CacheBudget, RecentMessages, slabBytes } from "./recent.js";

function msg(seq: number, payloadBytes = 100): StoredMessage {
  return { seq, ts_ns: BigInt(seq), subject: "a.b", headers: undefined, payload: new Uint8Array(payloadBytes).fill(seq % 256) };
}

describe("RecentMessages", () => {
  it("keeps copies independent of the caller's buffers", () => {
    const r = new RecentMessages(new CacheBudget(1 << 20), 1 << 20);
    const chunk = new Uint8Array(4096).fill(7);
    r.add({ seq: 1, ts_ns: 1n, subject: "a.b", headers: chunk.subarray(0, 10), payload: chunk.subarray(10, 110) });
    const c = r.get(1)!;
    expect(c.payload.buffer).not.toBe(chunk.buffer);
    expect([c.headers!.length, c.payload.length]).toEqual([10, 100]);
    chunk.fill(0);
    expect(c.payload[0]).toBe(7);
    expect(c.headers![9]).toBe(7);
  });

  it("charges whole slabs and evicts the oldest slab server-wide first", () => {
    const budget = new CacheBudget(3 * slabBytes);
    const a = new RecentMessages(budget, 1 << 20);
    const b = new RecentMessages(budget, 1 << 20);
    const perSlab = Math.floor(slabBytes / 1000);
    let seqA = 0;
    let seqB = 0;
    for (let i = 0; i < perSlab; i++) a.add(msg(++seqA, 1000)); // a: slab 1
    for (let i = 0; i < perSlab; i++) b.add(msg(++seqB, 1000)); // b: slab 2
    expect(budget.liveSlabs).toBe(2);
    expect(budget.usedBytes).toBeGreaterThan(2 * slabBytes);
    expect(budget.usedBytes).toBeLessThanOrEqual(3 * slabBytes);
    for (let i = 0; i < perSlab; i++) a.add(msg(++seqA, 1000)); // a: slab 3 evicts a's slab 1 (the oldest)
    expect(a.has(1)).toBe(false);
    expect(a.has(seqA)).toBe(true);
    expect(b.has(1) && b.has(seqB)).toBe(true);
    for (let i = 0; i < perSlab; i++) b.add(msg(++seqB, 1000)); // evicts b's slab 2
    expect(b.has(1)).toBe(false);
    expect(a.has(perSlab + 1)).toBe(true);
    expect(budget.usedBytes).toBeLessThanOrEqual(3 * slabBytes);
    a.clear();
    b.clear();
    expect(budget.usedBytes).toBe(0);
    expect(budget.liveSlabs).toBe(0);
  });

  it("gives large messages their own slab, skips oversized ones, and keeps the queue bounded", () => {
    const budget = new CacheBudget(1 << 20);
    const r = new RecentMessages(budget, 100_000);
    r.add(msg(1, 200_000));
    expect(r.size).toBe(0);
    r.add(msg(2, 50_000));
    expect(r.get(2)!.payload.buffer.byteLength).toBe(50_000);
    // Streams created and closed over and over leave dropped slabs in the queue: it stays bounded.
    for (let i = 0; i < 5_000; i++) {
      const t = new RecentMessages(budget, 100_000);
      t.add(msg(1));
      t.clear();
    }
    expect(budget.liveSlabs).toBe(1);
    expect(budget.queueLength).toBeLessThan(1100);
  });
});

describe("consumers reading through the cache", () => {
  it("never deliver messages deleted, purged or removed by limits after they were cached", async () => {
    const h = await startHarness();
    try {
      await createStream(h, { name: "S", subjects: ["s.*"], max_msgs_per_subject: 2 });
      for (let i = 1; i <= 6; i++) await publish(h, `s.${i <= 3 ? "x" : "y"}`, `m${i}`);
      // Limits keep 2 per subject (seqs 1 and 4 go); delete 5 explicitly.
      expect(await h.bus.json("$JS.API.STREAM.MSG.DELETE.S", { seq: 5 })).toMatchObject({ success: true });
      await createConsumer(h, "S", { durable_name: "all", ack_policy: "explicit" });
      await createConsumer(h, "S", { durable_name: "y", ack_policy: "explicit", filter_subject: "s.y" });
      const p = pull(h, "S", "all", { batch: 10, no_wait: true });
      await until("all delivered", () => p.msgs.some((m) => m.headers !== undefined && body(m) === ""));
      expect(p.msgs.filter((m) => m.reply !== undefined).map(body)).toEqual(["m2", "m3", "m6"]);
      const q = pull(h, "S", "y", { batch: 10, no_wait: true });
      await until("y delivered", () => q.msgs.some((m) => m.headers !== undefined && body(m) === ""));
      expect(q.msgs.filter((m) => m.reply !== undefined).map(body)).toEqual(["m6"]);

      // Purge after caching: nothing of it comes back, new messages do.
      await createConsumer(h, "S", { durable_name: "late", ack_policy: "explicit" });
      expect(await h.bus.json("$JS.API.STREAM.PURGE.S", {})).toMatchObject({ success: true, purged: 3 });
      await publish(h, "s.z", "after");
      const l = pull(h, "S", "late", { batch: 10, no_wait: true });
      await until("late delivered", () => l.msgs.some((m) => m.headers !== undefined && body(m) === ""));
      expect(l.msgs.filter((m) => m.reply !== undefined).map(body)).toEqual(["after"]);
      ack(h, l.msgs[0]!);
      await until("acked", () => h.js.findConsumer("S", "late")!.state.pending.size === 0);
      expect(await consumerInfo(h, "S", "late")).toMatchObject({ num_ack_pending: 0, num_pending: 0, ack_floor: { stream_seq: 7 } });
    } finally {
      await h.stop();
    }
  });
});
