/** The recent-message cache: bounds, eviction order, and that consumers never see removed messages. */
import { describe, expect, it } from "vitest";
import type { StoredMessage } from "../../store/types.js";
import { startHarness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, publish, pull, until } from "../test-support/helpers.js";
import { CacheBudget, RecentMessages, cachedSizeBytes } from "./recent.js";

function msg(seq: number, payloadBytes = 100): StoredMessage {
  return { seq, ts_ns: BigInt(seq), subject: "a.b", headers: undefined, payload: new Uint8Array(payloadBytes).fill(seq % 256) };
}

const one = cachedSizeBytes(msg(1));

describe("RecentMessages", () => {
  it("keeps compact copies and evicts its own oldest entries past the per-stream bound", () => {
    const budget = new CacheBudget(1_000_000);
    const r = new RecentMessages(3 * one, budget);
    const chunk = new Uint8Array(4096).fill(7);
    r.add({ seq: 1, ts_ns: 1n, subject: "a.b", headers: chunk.subarray(0, 10), payload: chunk.subarray(10, 110) });
    const c = r.get(1)!;
    expect(c.payload.buffer.byteLength).toBe(110); // not the 4 KiB chunk it came from
    expect(c.headers!.length).toBe(10);
    chunk.fill(0);
    expect(c.payload[0]).toBe(7);
    for (let s = 2; s <= 5; s++) r.add(msg(s));
    expect([1, 2, 3, 4, 5].map((s) => r.has(s))).toEqual([false, false, true, true, true]);
    expect(r.sizeBytes).toBe(3 * one);
    expect(budget.usedBytes).toBe(3 * one);
  });

  it("shares one budget across streams and evicts the oldest entries server-wide first", () => {
    const budget = new CacheBudget(4 * one);
    const a = new RecentMessages(100 * one, budget);
    const b = new RecentMessages(100 * one, budget);
    a.add(msg(1));
    a.add(msg(2));
    b.add(msg(1));
    b.add(msg(2));
    a.add(msg(3)); // evicts a:1, the oldest overall
    expect(a.has(1)).toBe(false);
    expect(b.has(1)).toBe(true);
    b.add(msg(3)); // evicts a:2, now the oldest overall
    expect(a.has(2)).toBe(false);
    expect(b.has(1) && b.has(2) && a.has(3) && b.has(3)).toBe(true);
    expect(budget.usedBytes).toBe(4 * one);
    a.clear();
    expect(budget.usedBytes).toBe(3 * one);
    expect(budget.entries).toBe(3);
  });

  it("skips messages larger than the stream bound and keeps the eviction queue compact", () => {
    const budget = new CacheBudget(1_000_000_000);
    const r = new RecentMessages(10 * one, budget);
    r.add(msg(1, 100_000));
    expect(r.size).toBe(0);
    // Entries deleted early leave queue items behind; memory must not grow with them.
    for (let s = 1; s <= 50_000; s++) {
      r.add(msg(s));
      r.delete(s);
    }
    expect(budget.entries).toBe(0);
    expect(budget.usedBytes).toBe(0);
    expect((budget as unknown as { queue: unknown[] }).queue.length).toBeLessThan(10_000);
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
