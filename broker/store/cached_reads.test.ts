/**
 * The synchronous, I/O-free reads (`has`, `getCached`, `nextCached`) of both stores: hits for
 * live messages, misses for everything removed, filters, gaps and the step bound; for the
 * FileStore also durability (nothing before its append resolved), reopen, the memory budget
 * (eviction, sharing between stores) and erase.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../common/clock.js";
import { waitFor } from "../../common/wait.js";
import { cachedScanStepsMax } from "./cached_reads.js";
import { FileStore } from "./file_store.js";
import type { FileStoreConfig } from "./file_store.js";
import { GatedSyncFs } from "./gated_sync_fs.js";
import { MemoryStore } from "./memory_store.js";
import { NodeFileSystem } from "./node_fs.js";
import { CacheBudget, slabBytes } from "./recent_cache.js";
import { unlimited } from "./store.suite.js";
import type { CachedNext, Store, StoreLimits, StoreOptions } from "./types.js";

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));
const optionsWith = (limits: Partial<StoreLimits> = {}): StoreOptions => ({ name: "CACHED", limits: { ...unlimited, ...limits }, sync: "always", sync_interval_ms: 0 });
const seqOf = (r: CachedNext): number | null | string => (r === null || typeof r === "number" ? r : `msg ${r.seq}`);

const dirs: string[] = [];
const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sluice-cached-"));
  dirs.push(d);
  return d;
}

async function openFile(options: StoreOptions, clock: ManualClock, extra: Partial<FileStoreConfig> = {}, dir?: string): Promise<FileStore> {
  const s = await FileStore.open(options, { fs: new NodeFileSystem(), dir: dir ?? (await newDir()), clock, segment_bytes_max: 64 * 1024, ...extra });
  opened.push(s);
  return s;
}

const kinds = [
  { kind: "MemoryStore", open: (o: StoreOptions, c: ManualClock): Promise<Store> => Promise.resolve(new MemoryStore(o, c)) },
  { kind: "FileStore", open: (o: StoreOptions, c: ManualClock): Promise<Store> => openFile(o, c, { cache_budget: new CacheBudget(1 << 20) }) },
] as const;

async function put(s: Store, subject: string, payload = subject): Promise<number> {
  return (await s.append({ subject, headers: undefined, payload: enc.encode(payload) })).seq;
}

describe.each(kinds)("$kind cached reads", ({ open }) => {
  it("serve an appended message from memory, independent of the caller's buffers", async () => {
    const s = await open(optionsWith(), new ManualClock());
    const chunk = new Uint8Array(64).fill(7);
    const r = await s.append({ subject: "a.b", headers: chunk.subarray(0, 10), payload: chunk.subarray(10, 20) });
    chunk.fill(0);
    const m = s.getCached(r.seq)!;
    expect({ seq: m.seq, ts_ns: m.ts_ns, subject: m.subject }).toEqual({ seq: 1, ts_ns: r.ts_ns, subject: "a.b" });
    expect([...m.headers!]).toEqual(new Array(10).fill(7));
    expect([...m.payload]).toEqual(new Array(10).fill(7));
    expect(s.has(1)).toBe(true);
    expect(s.has(2)).toBe(false);
    expect(s.getCached(2)).toBeUndefined();
    expect(seqOf(s.nextCached(1, []))).toBe("msg 1");
    expect(seqOf(s.nextCached(2, []))).toBeNull();
  });

  it("never serve deleted, purged, limited or expired messages", async () => {
    const clock = new ManualClock();
    const s = await open(optionsWith({ max_msgs_per_subject: 2, max_age_ms: 1000 }), clock);
    for (const subj of ["k.a", "k.a", "k.b", "k.a", "k.c", "k.d"]) await put(s, subj); // seq 1 goes (per-subject limit)
    expect([1, 2, 3, 4, 5, 6].map((q) => s.getCached(q)?.subject)).toEqual([undefined, "k.a", "k.b", "k.a", "k.c", "k.d"]);
    expect(await s.delete(3)).toBe(true);
    expect(s.getCached(3)).toBeUndefined();
    expect(s.has(3)).toBe(false);
    expect(await s.purge({ filter: "k.c" })).toBe(1);
    expect(s.getCached(5)).toBeUndefined();
    expect(seqOf(s.nextCached(1, []))).toBe("msg 2");
    expect(seqOf(s.nextCached(3, []))).toBe("msg 4");
    expect(seqOf(s.nextCached(5, []))).toBe("msg 6");
    await s.updateLimits({ ...unlimited, max_msgs_per_subject: 1, max_age_ms: 1000 });
    expect(s.getCached(2)).toBeUndefined(); // k.a keeps only 4
    expect(seqOf(s.nextCached(1, ["k.a"]))).toBe("msg 4");
    clock.advance(500);
    await put(s, "k.e");
    clock.advance(600);
    expect(await s.expire(clock.nowNs())).toEqual([4, 6]);
    expect([4, 6].map((q) => s.getCached(q))).toEqual([undefined, undefined]);
    expect(seqOf(s.nextCached(1, []))).toBe("msg 7");
    expect(await s.purge()).toBe(1);
    expect(seqOf(s.nextCached(1, []))).toBeNull();
    expect(s.getCached(7)).toBeUndefined();
  });

  it("nextCached honours filters and gaps, and stops after the step bound", async () => {
    const s = await open(optionsWith(), new ManualClock());
    for (const subj of ["o.new", "o.old", "p.x", "o.new", "q"]) await put(s, subj); // 1..5
    expect(seqOf(s.nextCached(1, ["o.new"]))).toBe("msg 1");
    expect(seqOf(s.nextCached(2, ["o.new"]))).toBe("msg 4");
    expect(seqOf(s.nextCached(1, ["o.*"]))).toBe("msg 1");
    expect(seqOf(s.nextCached(2, ["p.>", "q"]))).toBe("msg 3");
    expect(seqOf(s.nextCached(4, ["p.>", "q"]))).toBe("msg 5");
    expect(seqOf(s.nextCached(1, [">"]))).toBe("msg 1");
    expect(seqOf(s.nextCached(5, ["o.*"]))).toBeNull();
    expect(seqOf(s.nextCached(0, []))).toBe("msg 1");
    // A run of other subjects longer than the bound: the caller continues from where the walk stopped.
    await Promise.all(Array.from({ length: cachedScanStepsMax + 10 }, () => put(s, "noise"))); // 6..79
    const target = await put(s, "rare"); // 80
    const stop = s.nextCached(1, ["rare"]);
    expect(stop).toBe(1 + cachedScanStepsMax);
    expect(seqOf(s.nextCached(stop as number, ["rare"]))).toBe(`msg ${target}`);
    expect((await s.next(stop as number, "rare"))?.seq).toBe(target);
    // A gap (deleted sequences) longer than the bound.
    await Promise.all(Array.from({ length: cachedScanStepsMax + 10 }, (_, i) => s.delete(6 + i)));
    expect(s.nextCached(6, [])).toBe(6 + cachedScanStepsMax);
    expect(seqOf(s.nextCached(6 + cachedScanStepsMax, []))).toBe(`msg ${target}`);
    expect(seqOf(s.nextCached(target + 1, []))).toBeNull();
  });
});

describe("FileStore cached reads", () => {
  it("serve nothing before the append resolved (fsync before ack)", async () => {
    const fs = new GatedSyncFs();
    const dir = await newDir();
    const s = await FileStore.open(optionsWith(), { fs, dir, preallocate_bytes: 0, cache_budget: new CacheBudget(1 << 20) });
    opened.push(s);
    fs.gated = true;
    let resolved = false;
    const appended = s.append({ subject: "d", headers: undefined, payload: enc.encode("durable") }).then((r) => {
      resolved = true;
      return r;
    });
    await waitFor("the batch's fsync is held", () => fs.held > 0, { timeout_ms: 20_000, interval_ms: 1 });
    expect(resolved).toBe(false);
    expect(s.getCached(1)).toBeUndefined();
    expect(s.nextCached(1, [])).toBe(1); // known to the index, but only an async read (which waits) may return it
    fs.gated = false;
    fs.release();
    expect((await appended).seq).toBe(1);
    expect(text(s.getCached(1)?.payload)).toBe("durable");
  });

  it("start empty after reopen and read older messages from disk", async () => {
    const clock = new ManualClock();
    const dir = await newDir();
    const budget = new CacheBudget(1 << 20);
    const first = await openFile(optionsWith(), clock, { cache_budget: budget }, dir);
    await put(first, "a", "one");
    await first.close();
    expect(budget.usedBytes).toBe(0); // close gives the memory back
    const s = await openFile(optionsWith(), clock, { cache_budget: budget }, dir);
    expect(s.has(1)).toBe(true);
    expect(s.getCached(1)).toBeUndefined();
    expect(s.nextCached(1, [])).toBe(1);
    expect(text((await s.get(1))?.payload)).toBe("one");
    await put(s, "a", "two");
    expect(seqOf(s.nextCached(1, []))).toBe(1); // 1 still needs a disk read
    expect(seqOf(s.nextCached(2, []))).toBe("msg 2");
  });

  it("evict under a tiny budget and keep serving evicted messages from disk", async () => {
    const budget = new CacheBudget(2 * slabBytes);
    const s = await openFile(optionsWith(), new ManualClock(), { cache_budget: budget });
    const payload = "x".repeat(1000);
    const n = 3 * Math.ceil(slabBytes / 1000);
    await Promise.all(Array.from({ length: n }, () => put(s, "big", payload)));
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.bytesMax);
    expect(s.getCached(1)).toBeUndefined(); // its slab went first
    expect(text(s.getCached(n)?.payload)).toBe(payload);
    expect(s.nextCached(1, [])).toBe(1);
    expect(text((await s.get(1))?.payload)).toBe(payload);
    // Messages larger than the per-message bound are never cached.
    const small = await openFile(optionsWith(), new ManualClock(), { cache_budget: budget, cached_msg_bytes_max: 100 });
    await put(small, "s", "y".repeat(101));
    await put(small, "s", "y".repeat(100));
    expect([small.getCached(1), small.getCached(2)?.seq]).toEqual([undefined, 2]);
  });

  it("share one budget between stores, oldest slab first", async () => {
    const budget = new CacheBudget(3 * slabBytes);
    const a = await openFile(optionsWith(), new ManualClock(), { cache_budget: budget });
    const b = await openFile(optionsWith(), new ManualClock(), { cache_budget: budget });
    const perSlab = Math.floor(slabBytes / 1000);
    const fill = async (s: Store): Promise<void> => {
      await Promise.all(Array.from({ length: perSlab }, () => put(s, "m", "z".repeat(1000))));
    };
    await fill(a); // slab 1 (a)
    await fill(b); // slab 2 (b)
    expect(budget.liveSlabs).toBe(2);
    await fill(a); // slab 3 (a): a's first slab is the oldest and goes
    expect(a.getCached(1)).toBeUndefined();
    expect(b.getCached(1)?.seq).toBe(1);
    await fill(b); // b's first slab is now the oldest
    expect(b.getCached(1)).toBeUndefined();
    expect(a.getCached(perSlab + 1)?.seq).toBe(perSlab + 1);
    expect(budget.usedBytes).toBeLessThanOrEqual(budget.bytesMax);
    await a.close();
    await b.close();
    expect([budget.usedBytes, budget.liveSlabs]).toEqual([0, 0]);
  });

  it("wipe the cached copy of an erased message", async () => {
    const s = await openFile(optionsWith(), new ManualClock(), { cache_budget: new CacheBudget(1 << 20) });
    await put(s, "secret", "top secret");
    await put(s, "other", "keep");
    const view = s.getCached(1)!.payload;
    expect(await s.delete(1, { erase: true })).toBe(true);
    expect(view.every((b) => b === 0)).toBe(true);
    expect(s.getCached(1)).toBeUndefined();
    expect(text(s.getCached(2)?.payload)).toBe("keep");
  });
});
