/**
 * Group commit at the start of a burst: appends submitted anywhere in one event-loop turn go
 * into one batch with one fsync (the writer starts on setImmediate, not on the first append's
 * microtask), and no append resolves before the fsync covering it has returned.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { FileStore } from "./file_store.js";
import { GatedSyncFs } from "./gated_sync_fs.js";
import type { AppendResult, StoreOptions } from "./types.js";

const options: StoreOptions = {
  name: "GC",
  limits: { max_msgs: -1, max_bytes: -1, max_age_ms: 0, max_msgs_per_subject: -1, max_msg_size_bytes: -1, discard: "old", discard_new_per_subject: false },
  sync: "always",
  sync_interval_ms: 0,
};

describe("FileStore group commit at the start of a burst", () => {
  let dir: string | undefined;
  let store: FileStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("appends submitted across one turn's microtasks share one batch and one fsync", async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-gc-"));
    const fs = new GatedSyncFs();
    store = await FileStore.open(options, { fs, dir, preallocate_bytes: 0 });
    const batches0 = store.stats.batches;
    const syncs0 = store.stats.syncs;
    const pending: Array<Promise<AppendResult>> = [];
    // Five groups, as if parsed from five socket reads handled in the same I/O phase.
    for (let g = 0; g < 5; g++) {
      for (let i = 0; i < 20; i++) pending.push(store.append({ subject: `gc.${g}`, headers: undefined, payload: new Uint8Array([g, i]) }));
      await Promise.resolve();
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(store.stats.batches - batches0).toBe(1);
    expect(store.stats.syncs - syncs0).toBe(1);
  });

  it("no append resolves before the fsync that covers it returns", async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-gc-"));
    const fs = new GatedSyncFs();
    store = await FileStore.open(options, { fs, dir, preallocate_bytes: 0 });
    fs.gated = true;
    const resolved: number[] = [];
    const first = Array.from({ length: 10 }, (_, i) => store!.append({ subject: "a", headers: undefined, payload: new Uint8Array([i]) }).then((r) => resolved.push(r.seq)));
    await waitFor("the first fsync held", () => fs.held === 1, { timeout_ms: 10_000 });
    // Submitted while the first fsync is held: they wait for the next group commit.
    const second = Array.from({ length: 10 }, (_, i) => store!.append({ subject: "b", headers: undefined, payload: new Uint8Array([i]) }).then((r) => resolved.push(r.seq)));
    // Give the writer every chance to (wrongly) resolve something: several loop turns.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(resolved).toEqual([]);
    fs.release();
    await waitFor("the first batch acknowledged, the second fsync held", () => resolved.length === 10 && fs.held === 1, { timeout_ms: 10_000 });
    expect([...resolved].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(resolved.length).toBe(10);
    fs.gated = false;
    fs.release();
    await Promise.all([...first, ...second]);
    expect(resolved.length).toBe(20);
  });
});
