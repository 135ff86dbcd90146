/** The written-message cache on its own: copies, slab accounting, eviction order, bounds. */
import { describe, expect, it } from "vitest";
import { CacheBudget, RecentCache, slabBytes } from "./recent_cache.js";
import type { StoredMessage } from "./types.js";

function msg(seq: number, payloadBytes = 100): StoredMessage {
  return { seq, ts_ns: BigInt(seq), subject: "a.b", headers: undefined, payload: new Uint8Array(payloadBytes).fill(seq % 256) };
}

describe("RecentCache", () => {
  it("keeps copies independent of the caller's buffers", () => {
    const r = new RecentCache(new CacheBudget(1 << 20), 1 << 20);
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
    const a = new RecentCache(budget, 1 << 20);
    const b = new RecentCache(budget, 1 << 20);
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
    const r = new RecentCache(budget, 100_000);
    r.add(msg(1, 200_000));
    expect(r.size).toBe(0);
    r.add(msg(2, 50_000));
    expect(r.get(2)!.payload.buffer.byteLength).toBe(50_000);
    // Streams created and closed over and over leave dropped slabs in the queue: it stays bounded.
    for (let i = 0; i < 5_000; i++) {
      const t = new RecentCache(budget, 100_000);
      t.add(msg(1));
      t.clear();
    }
    expect(budget.liveSlabs).toBe(1);
    expect(budget.queueLength).toBeLessThan(1100);
  });

  it("zeroes an erased copy and rejects a nonsensical budget", () => {
    const r = new RecentCache(new CacheBudget(1 << 20), 1 << 20);
    r.add(msg(1, 100));
    r.add(msg(2, 100));
    const view = r.get(1)!.payload;
    r.delete(1, true);
    expect(r.has(1)).toBe(false);
    expect(view.every((b) => b === 0)).toBe(true);
    expect(r.get(2)!.payload.every((b) => b === 2)).toBe(true);
    expect(() => new CacheBudget(-1)).toThrow(/non-negative/);
  });
});
